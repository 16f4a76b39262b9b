using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>The README's first command: no flags at all, then `etcdctl put foo bar` works, data in ./default.etcd.</summary>
public sealed class DefaultStartSpecs
{
    [Fact]
    public async Task No_flags_serves_localhost_2379_with_data_in_default_etcd_and_stops_on_sigterm()
    {
        // Another test run on this machine may be in this spec too: only one may hold 2379/2380 at a time.
        using var port2379 = await MachineLock.AcquireAsync("port-2379", TimeSpan.FromMinutes(5));
        using var dir = new TempDir("etcd-default");
        var node = NodeProcess.WithNoFlags(dir.Path);
        await using var _ = node;
        await node.StartAsync();

        var put = await Etcdctl.RunAsync("http://localhost:2379", "put", "foo", "bar");
        Assert.Equal("OK", put.EnsureSuccess().Stdout.Trim());
        var get = await Etcdctl.RunAsync("http://localhost:2379", "get", "foo");
        Assert.Equal("foo\nbar", get.EnsureSuccess().Stdout.Trim());
        Assert.True(File.Exists(Path.Combine(dir.Path, "default.etcd", "member", "raft.db")), "journal not in ./default.etcd/member");
        Assert.True(File.Exists(Path.Combine(dir.Path, "default.etcd", "member", "mvcc.db")), "backend not in ./default.etcd/member");
        Assert.Contains("enabled capabilities for version 3.4", node.Output);
        Assert.Contains("published {Name:default ClientURLs:[http://localhost:2379]} to cluster cdf818194e3a8c32", node.Output);

        Assert.Equal(0, await node.StopAsync());
    }

    [Fact]
    public async Task Bad_flag_exits_non_zero_with_one_line_reason()
    {
        using var dir = new TempDir("etcd-badflag");
        var node = new NodeProcess(dir.Sub("data"), extraArgs: ["--heartbeat-interval", "abc"]);
        await using var _ = node;
        var start = await Assert.ThrowsAsync<InvalidOperationException>(() => node.StartAsync());
        Assert.NotEqual(0, await node.Exited);
        Assert.Contains("heartbeat-interval", start.Message);
    }
}
