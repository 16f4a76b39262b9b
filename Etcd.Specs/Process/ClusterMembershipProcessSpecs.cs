using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Membership the way an operator changes it, with the real etcdctl and real processes: `member add` prints the
/// ETCD_* settings, a member started with them and `--initial-cluster-state existing` joins and serves, and
/// `member remove` makes it stop serving and exit 0, as an etcd member does.
/// </summary>
public sealed class ClusterMembershipProcessSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Etcdctl_member_add_then_an_existing_start_joins_and_member_remove_stops_it()
    {
        using var dir = new TempDir("etcd-member-process");
        // The strict check waits for 5 s of health; it has specs of its own.
        await using var cluster = ProcessCluster.Create(dir, 3, "--strict-reconfig-check=false");
        await cluster.StartAsync();
        await Etcdctl.RunAsync(cluster.Endpoints, "put", "before-join", "1").ContinueWith(t => t.Result.EnsureSuccess());

        var peerPort = FreePort.Next();
        var add = (await Etcdctl.RunAsync(cluster.Endpoints, "member", "add", "infra9", $"--peer-urls=http://127.0.0.1:{peerPort}")).EnsureSuccess();
        output.WriteLine(add.Stdout);
        var env = add.Stdout.Split('\n').Where(l => l.StartsWith("ETCD_", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1].Trim('"'));
        Assert.Equal("infra9", env["ETCD_NAME"]);
        Assert.Equal("existing", env["ETCD_INITIAL_CLUSTER_STATE"]);
        Assert.Contains($"infra9=http://127.0.0.1:{peerPort}", env["ETCD_INITIAL_CLUSTER"]);

        await using var joiner = new NodeProcess(dir.Sub("infra9"), "infra9", peerPort: peerPort,
            extraArgs: ["--initial-cluster", env["ETCD_INITIAL_CLUSTER"], "--initial-cluster-state", env["ETCD_INITIAL_CLUSTER_STATE"]]);
        await joiner.StartAsync();

        var list = (await Etcdctl.RunAsync(cluster.Endpoints, "member", "list")).EnsureSuccess().Stdout;
        Assert.Contains($"started, infra9, http://127.0.0.1:{peerPort}, {joiner.Endpoint}, false", list);
        var read = (await Etcdctl.RunAsync(joiner.Endpoint, "get", "before-join", "--print-value-only")).EnsureSuccess();
        Assert.Equal("1", read.Stdout.Trim());

        var id = list.Split('\n').First(l => l.Contains("infra9", StringComparison.Ordinal)).Split(',')[0].Trim();
        (await Etcdctl.RunAsync(cluster.Endpoints, "member", "remove", id)).EnsureSuccess();
        Assert.Equal(0, await joiner.Exited.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("the member has been permanently removed from the cluster", joiner.Output);
        var after = (await Etcdctl.RunAsync(cluster.Endpoints, "member", "list")).EnsureSuccess().Stdout;
        Assert.DoesNotContain("infra9", after);
        (await Etcdctl.RunAsync(cluster.Endpoints, "put", "after-remove", "1")).EnsureSuccess();
    }
}
