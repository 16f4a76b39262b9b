using Akka.Configuration;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Server;

public sealed class EtcdServerSettingsSpecs
{
    [Fact]
    public void Defaults_are_etcds()
    {
        var s = EtcdServerSettings.Create(Config.Empty);
        Assert.Equal("default", s.Name);
        Assert.Equal("default.etcd", s.DataDir);
        Assert.Equal(["http://localhost:2379"], s.AdvertiseClientUrls);
        Assert.Equal("default", Assert.Single(s.InitialCluster).Key);
        Assert.Equal(["http://localhost:2380"], s.InitialCluster[0].Value);
        Assert.Equal(100, s.HeartbeatIntervalMs);
        Assert.Equal(1000, s.ElectionTimeoutMs);
        Assert.Equal(100_000, s.SnapshotCount);
        Assert.Equal(128, s.MaxTxnOps);
        Assert.Equal(1_572_864, s.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(7), s.RequestTimeout);
    }

    [Fact]
    public void Data_dir_follows_the_name_and_initial_cluster_is_parsed()
    {
        var s = EtcdServerSettings.Create(ConfigurationFactory.ParseString("""
            etcd.name = infra1
            etcd.initial-cluster = "infra0=http://127.0.0.1:2380,infra1=http://127.0.0.1:22380,infra1=http://127.0.0.2:22380"
            """));
        Assert.Equal("infra1.etcd", s.DataDir);
        Assert.Equal(2, s.InitialCluster.Count);
        Assert.Equal(["http://127.0.0.1:22380", "http://127.0.0.2:22380"], s.InitialCluster[1].Value);
    }

    [Theory]
    [InlineData("etcd.election-timeout = 200", "should be at least as 5 times as --heartbeat-interval")]
    [InlineData("etcd.initial-cluster-state = sideways", "--initial-cluster-state")]
    [InlineData("etcd.initial-cluster = \"other=http://127.0.0.1:2380\"", "couldn't find local name \"default\"")]
    [InlineData("etcd.initial-cluster = \"bad\"", "expected name=url")]
    [InlineData("etcd.max-txn-ops = 0", "--max-txn-ops")]
    public void Bad_settings_are_refused_with_a_reason(string hocon, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => EtcdServerSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(reason, ex.Message);
    }
}
