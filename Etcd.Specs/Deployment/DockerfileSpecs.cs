using System.Xml.Linq;
using Etcd.Specs.Deployment.Support;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Deployment;

/// <summary>
/// The Dockerfile, which cannot be built here (no Docker engine): its stages, what the build stage copies and
/// publishes, and that the runtime stage's ENTRYPOINT, CMD and ENV make a node Etcd.Node's parser accepts.
/// </summary>
public sealed class DockerfileSpecs
{
    private readonly IReadOnlyList<DockerStage> _stages = Dockerfile.Load();

    private DockerStage Build => _stages[0];

    private DockerStage Runtime => _stages[^1];

    [Fact]
    public void An_sdk_build_stage_and_an_aspnet_runtime_stage_that_copies_only_the_published_output()
    {
        Assert.Equal(2, _stages.Count);
        Assert.Equal(("mcr.microsoft.com/dotnet/sdk:10.0", "build"), (Build.Image, Build.Name));
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Runtime.Image);
        var copy = Assert.Single(Runtime.All("COPY"));
        Assert.Equal($"--from={Build.Name} {PublishDir} ./", copy.Arguments);
        Assert.Equal("/app", Runtime.Last("WORKDIR")?.Arguments);
    }

    [Fact]
    public void Exposes_the_client_and_peer_ports_and_keeps_the_data_in_a_volume()
    {
        Assert.Equal("2379 2380", Assert.Single(Runtime.All("EXPOSE")).Arguments);
        Assert.Equal("/var/lib/etcd", Assert.Single(Runtime.All("VOLUME")).Arguments);
        // Runs unprivileged, so the volume directory must be made and handed to that user before USER.
        var order = Runtime.Instructions.Select(i => i.Keyword).ToList();
        Assert.True(order.IndexOf("RUN") < order.IndexOf("USER"), "the volume directory is made after USER");
        Assert.Contains("chown", Assert.Single(Runtime.All("RUN")).Arguments);
    }

    [Fact]
    public void The_entrypoint_runs_the_published_node_dll_that_the_build_produces()
    {
        var entrypoint = DockerStage.ExecForm(Runtime.Last("ENTRYPOINT")!);
        Assert.Equal(2, entrypoint.Count);
        Assert.Equal("dotnet", entrypoint[0]);
        Assert.Equal(PublishDir, Path.GetDirectoryName(entrypoint[1]));
        // The same file name as the Etcd.Node build output the specs run (AssemblyName in Etcd.Node.csproj).
        Assert.Equal(Path.GetFileName(RepoPaths.NodeDll), Path.GetFileName(entrypoint[1]));
        Assert.True(File.Exists(RepoPaths.NodeDll), $"{RepoPaths.NodeDll} is not built");
    }

    [Fact]
    public void The_default_command_is_a_single_member_on_every_address_with_its_data_in_the_volume()
    {
        var cmd = DockerStage.ExecForm(Runtime.Last("CMD")!);
        var run = DeploymentConfig.Run(RepoPaths.Root, cmd, Runtime.Environment());
        Assert.Equal("/var/lib/etcd", run.Settings.DataDir);
        Assert.Equal(["http://0.0.0.0:2379"], run.Options.ListenClientUrls);
        Assert.Equal(["http://0.0.0.0:2380"], run.Settings.ListenPeerUrls);
        Assert.Single(run.Settings.InitialCluster);
        Assert.Empty(run.Warnings);
        // Kestrel would otherwise warn at each start that the image's port 8080 is overridden.
        Assert.Equal("", Runtime.Environment()["ASPNETCORE_HTTP_PORTS"]);
    }

    [Fact]
    public void The_build_stage_copies_every_project_the_node_references_and_the_protos_and_publishes_the_node()
    {
        var copied = Build.All("COPY").SelectMany(c => c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToHashSet();
        Assert.All(copied, source => Assert.True(
            File.Exists(Path.Combine(RepoPaths.Root, source)) || Directory.Exists(Path.Combine(RepoPaths.Root, source)),
            $"the Dockerfile copies {source}, which is not in the repository"));
        foreach (var project in ProjectClosure("Etcd.Node/Etcd.Node.csproj"))
            Assert.Contains(Path.GetDirectoryName(project)!.Replace('\\', '/') + "/", copied);
        Assert.Contains("protos/", copied);
        Assert.Contains("Directory.Packages.props", copied);
        Assert.Contains("global.json", copied);

        var publish = Assert.Single(Build.All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("Etcd.Node/Etcd.Node.csproj -c Release", publish.Arguments);
        Assert.EndsWith($"-o {PublishDir}", publish.Arguments);

        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    private const string PublishDir = "/app";

    /// <summary>The project and every project it references, transitively, relative to the repository root.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>([project]);
        while (todo.TryPop(out var p))
        {
            if (!seen.Add(p)) continue;
            var xml = XDocument.Load(Path.Combine(RepoPaths.Root, p));
            foreach (var reference in xml.Descendants("ProjectReference").Select(r => (string)r.Attribute("Include")!))
                todo.Push(Path.GetRelativePath(RepoPaths.Root, Path.GetFullPath(Path.Combine(RepoPaths.Root, Path.GetDirectoryName(p)!, reference))).Replace('\\', '/'));
        }
        return seen;
    }
}
