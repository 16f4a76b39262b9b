using System.Text.RegularExpressions;
using Etcd.Specs.Support;

namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// The Procfile's cluster moved into a directory of its own: every config file a Procfile line names is copied
/// there with each URL port (2379, 22380, ...) replaced by a free loopback port, and nothing else changed. Run
/// from that directory, the Procfile's own arguments (--config-file hocon/nodeN.conf) and the files' relative
/// data dirs (./cluster-data/infraN) then resolve inside it, so a spec runs the real files without the real ports.
/// </summary>
public sealed partial class RelocatedLocalCluster
{
    /// <summary>Each Procfile command: dotnet, the node's dll, then the node's arguments.</summary>
    private const int ArgumentsStart = 2;

    private RelocatedLocalCluster(string directory, IReadOnlyDictionary<int, int> ports, IReadOnlyList<RelocatedMember> members)
    {
        Directory = directory;
        Ports = ports;
        Members = members;
    }

    public string Directory { get; }

    /// <summary>Each port the files name → the free port that replaced it.</summary>
    public IReadOnlyDictionary<int, int> Ports { get; }

    public IReadOnlyList<RelocatedMember> Members { get; }

    public static RelocatedLocalCluster Create(string directory, IReadOnlyList<ProcfileEntry> entries)
    {
        var files = entries.Select(ConfigFileOf).Distinct().ToArray();
        var texts = files.ToDictionary(f => f, f => File.ReadAllText(Path.Combine(RepoPaths.Root, f)));
        var ports = texts.Values.SelectMany(t => UrlPort().Matches(t).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Distinct().Order().ToDictionary(p => p, _ => FreePort.Next());
        foreach (var (file, text) in texts)
        {
            var target = Path.Combine(directory, file);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, UrlPort().Replace(text, m => ports[int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)]
                .ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var members = entries.Select(e =>
        {
            var args = e.Command.Skip(ArgumentsStart).ToArray();
            var run = DeploymentConfig.Run(directory, args);
            return new RelocatedMember(e, args, run, Path.GetFullPath(Path.Combine(directory, run.Settings.DataDir)));
        }).ToArray();
        return new RelocatedLocalCluster(directory, ports, members);
    }

    /// <summary>The --config-file a Procfile line passes, relative to the repository root.</summary>
    public static string ConfigFileOf(ProcfileEntry entry)
    {
        var args = entry.Command.Skip(ArgumentsStart).ToList();
        var at = args.IndexOf("--config-file");
        if (at < 0 || at == args.Count - 1) throw new InvalidOperationException($"Procfile line {entry.Name} passes no --config-file");
        var file = args[at + 1];
        if (Path.IsPathRooted(file)) throw new InvalidOperationException($"Procfile line {entry.Name}: {file} should be relative to the repository root");
        return file;
    }

    /// <summary>The port of an http(s) URL: what follows "scheme://host:".</summary>
    [GeneratedRegex(@"(?<=https?://[^/:\s""',\]]+:)\d+")]
    private static partial Regex UrlPort();
}
