using Xunit;

namespace Etcd.Specs.Node;

/// <summary>flags ⊕ ETCD_* ⊕ config file ⊕ reference.conf: each layer wins over the ones below it, key by key.</summary>
public sealed class PrecedenceSpecs
{
    private const string Yaml = "snapshot-count: 3\nmax-txn-ops: 33\nheartbeat-interval: 50\nname: fromfile\ninitial-cluster: fromenv=http://localhost:2380\n";

    [Fact]
    public void Flag_beats_env_beats_file_beats_reference()
    {
        var run = NodeConfig.Run(
            ["--snapshot-count", "1", "--config-file", "etcd.yml"],
            new() { ["ETCD_SNAPSHOT_COUNT"] = "2", ["ETCD_MAX_TXN_OPS"] = "22", ["ETCD_NAME"] = "fromenv" },
            new() { ["etcd.yml"] = Yaml });
        var s = run.Settings;
        Assert.Equal(1, s.Raft.SnapshotCount);       // flag over env and file
        Assert.Equal(22, s.MaxTxnOps);          // env over file
        Assert.Equal("fromenv", s.Name);        // env over file
        Assert.Equal(TimeSpan.FromMilliseconds(50), s.Raft.TickInterval); // file over reference
        Assert.Equal(TimeSpan.FromMilliseconds(1000), s.Raft.ElectionTimeout); // reference
    }

    [Fact]
    public void Hocon_file_sits_in_the_same_place_as_the_yaml_file()
    {
        var run = NodeConfig.Run(
            ["--max-txn-ops", "5", "--config-file", "node.conf"],
            new() { ["ETCD_SNAPSHOT_COUNT"] = "2" },
            new() { ["node.conf"] = "etcd { snapshot-count = 3, max-txn-ops = 33, quota-backend-bytes = 1024 }" });
        Assert.Equal(5, run.Settings.MaxTxnOps);
        Assert.Equal(2, run.Settings.Raft.SnapshotCount);
        Assert.Equal(1024, run.Settings.QuotaBackendBytes);
    }

    [Fact]
    public void A_missing_config_file_fails_with_one_line()
    {
        var message = NodeConfig.Fails(["--config-file", "nope.yml"]);
        Assert.StartsWith("cannot read config file nope.yml", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Listening_on_explicit_client_urls_requires_advertising_some_as_etcd_does()
    {
        Assert.Equal("--advertise-client-urls is required when --listen-client-urls is set explicitly",
            NodeConfig.Fails(["--listen-client-urls", "http://127.0.0.1:12379"]));
        var fromFile = NodeConfig.Run(["--listen-client-urls", "http://127.0.0.1:12379", "--config-file", "f.yml"],
            files: new() { ["f.yml"] = "advertise-client-urls: http://127.0.0.1:12379" });
        Assert.Equal(["http://127.0.0.1:12379"], fromFile.Settings.AdvertiseClientUrls);
    }
}
