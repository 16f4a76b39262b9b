using System.Text.RegularExpressions;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Architecture;

/// <summary>
/// The pure cores (*/Core/) hold the logic and are tested deterministically, so they must not reach for
/// Akka, the wall clock, shared randomness, threads or I/O (DESIGN §1).
/// </summary>
public sealed class ArchitectureSpecs
{
    private static readonly Regex Banned = new(
        @"using Akka|DateTime(Offset)?\.(Now|UtcNow)|Stopwatch|Random\.Shared|new Random\(|Thread\.Sleep|Task\.Delay|Task\.Run|new Thread\(|System\.IO\.File|File\.(Open|Read|Write)|Environment\.TickCount",
        RegexOptions.Compiled);

    [Fact]
    public void Core_folders_are_pure()
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "Etcd.Actors"), "*.cs", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}Core{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(files);
        var offenders = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && Banned.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(RepoPaths.Root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "impure code in a Core folder:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void Library_has_no_aspnet_or_grpc_server_dependency()
    {
        var csproj = File.ReadAllText(Path.Combine(RepoPaths.Root, "Etcd.Actors", "Etcd.Actors.csproj"));
        Assert.DoesNotContain("Grpc.AspNetCore", csproj);
        Assert.DoesNotContain("Microsoft.NET.Sdk.Web", csproj);
    }
}
