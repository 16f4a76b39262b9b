using System.Diagnostics;
using Akka.Configuration;
using Etcd.Specs.Deployment.Support;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Deployment;

/// <summary>
/// The local cluster's files as a user runs them: the Procfile's lines, and each hocon/nodeN.conf read by
/// Etcd.Node's own configuration code from the repository root, the directory foreman runs them in.
/// </summary>
public sealed class LocalClusterConfigSpecs
{
    private const string InitialCluster = "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380";

    [Fact]
    public void The_procfile_runs_the_release_build_of_the_node_once_per_member_file()
    {
        var entries = Procfile.Load();
        Assert.Equal(["etcd1", "etcd2", "etcd3"], entries.Select(e => e.Name));
        for (var n = 1; n <= 3; n++)
        {
            // The built dll, not `dotnet run`: three concurrent builds of one project would race on its output.
            Assert.Equal(["dotnet", "Etcd.Node/bin/Release/net10.0/Etcd.Node.dll", "--config-file", $"hocon/node{n}.conf"],
                entries[n - 1].Command);
        }
        if (RepoPaths.Configuration == "Release")
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, entries[0].Command[1])), "the Procfile's dll is not where a Release build puts it");
    }

    [Theory]
    [InlineData(1, 2379, 2380)]
    [InlineData(2, 22379, 22380)]
    [InlineData(3, 32379, 32380)]
    public void Each_member_file_loads_with_its_name_loopback_ports_data_dir_and_the_one_initial_cluster(int n, int clientPort, int peerPort)
    {
        var run = DeploymentConfig.Run(RepoPaths.Root, ["--config-file", $"hocon/node{n}.conf"]);
        var s = run.Settings;
        Assert.Equal($"infra{n}", s.Name);
        Assert.Equal($"./cluster-data/infra{n}", s.DataDir);
        Assert.Equal([$"http://127.0.0.1:{clientPort}"], run.Options.ListenClientUrls);
        Assert.Equal([$"http://127.0.0.1:{clientPort}"], s.AdvertiseClientUrls);
        Assert.Equal([$"http://127.0.0.1:{peerPort}"], s.ListenPeerUrls);
        Assert.Equal([$"http://127.0.0.1:{peerPort}"], s.AdvertisePeerUrls);
        Assert.Equal(["infra1", "infra2", "infra3"], s.InitialCluster.Select(m => m.Key));
        Assert.Equal(["http://127.0.0.1:2380", "http://127.0.0.1:22380", "http://127.0.0.1:32380"], s.InitialCluster.Select(m => m.Value.Single()));
        Assert.Equal("etcd-cluster-1", s.InitialClusterToken);
        Assert.Equal("new", s.InitialClusterState);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.Raft.TickInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), s.Raft.ElectionTimeout);
        Assert.Empty(run.Warnings);
    }

    [Fact]
    public void Every_member_file_repeats_what_common_conf_holds_with_the_same_values()
    {
        // Akka's HOCON parser as the node calls it does not resolve `include`, so the node files repeat
        // common.conf; this keeps the copies from drifting apart.
        var common = Hocon("hocon/common.conf").GetConfig("etcd");
        var keys = common.AsEnumerable().Select(e => e.Key).ToArray();
        Assert.Contains("initial-cluster", keys);
        Assert.Equal(InitialCluster, common.GetString("initial-cluster"));
        for (var n = 1; n <= 3; n++)
        {
            var node = Hocon($"hocon/node{n}.conf").GetConfig("etcd");
            foreach (var key in keys)
                Assert.True(common.GetString(key) == node.GetString(key), $"node{n}.conf: {key} = {node.GetString(key)}, common.conf says {common.GetString(key)}");
        }
    }

    [Fact]
    public void The_data_dirs_are_ignored_by_git_and_the_script_is_executable_and_parses()
    {
        Assert.Contains("cluster-data/", File.ReadAllLines(Path.Combine(RepoPaths.Root, ".gitignore")));
        var script = Path.Combine(RepoPaths.Root, "tools", "local-cluster.sh");
        if (!OperatingSystem.IsWindows())
            Assert.True((File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0, "tools/local-cluster.sh is not executable");
        using var bash = System.Diagnostics.Process.Start(new ProcessStartInfo("bash", ["-n", script]) { RedirectStandardError = true })!;
        var errors = bash.StandardError.ReadToEnd();
        Assert.True(bash.WaitForExit(10_000), "bash -n did not finish");
        Assert.True(bash.ExitCode == 0, errors);
    }

    private static Config Hocon(string file) => ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(RepoPaths.Root, file)));
}
