using Akka.Configuration;
using Etcd.Actors.Configuration;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
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
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.Raft.TickInterval);
        Assert.Equal(10, s.Raft.ElectionTick);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), s.Raft.ElectionTimeout);
        Assert.Equal(100_000, s.Raft.SnapshotCount);
        Assert.Equal(128, s.MaxTxnOps);
        Assert.Equal(1_572_864, s.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(7), s.RequestTimeout);
        Assert.Equal(s.Raft, EtcdServerSettings.Default.Raft);
        Assert.Equal(s.Mvcc, EtcdServerSettings.Default.Mvcc);
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

    [Fact]
    public void The_parts_get_their_own_settings_and_the_member_adds_only_its_paths()
    {
        var s = EtcdServerSettings.Create(ConfigurationFactory.ParseString("""
            etcd.data-dir = "/var/lib/m1"
            etcd.raft.max-pending-proposals = 77
            etcd.mvcc.max-pending-reads = 33
            """));
        Assert.Equal(77, s.Raft.MaxPendingProposals);
        Assert.Equal(33, s.Mvcc.MaxPendingReadBatches);
        Assert.Null(s.Raft.SnapshotDir);
        Assert.Null(s.Mvcc.BackendPath);
        Assert.Equal(s.Raft with { SnapshotDir = Path.Combine("/var/lib/m1", "member", "snap") }, s.RaftWithPaths);
        Assert.Equal(s.Mvcc with { BackendPath = Path.Combine("/var/lib/m1", "member", "mvcc.db") }, s.MvccWithPaths);
    }

    [Theory]
    [InlineData("etcd.election-timeout = 200", "should be at least as 5 times as --heartbeat-interval")]
    [InlineData("etcd.election-timeout = 60000", "is too long, and should be set less than 50000ms")]
    [InlineData("etcd.initial-cluster-state = sideways", "--initial-cluster-state")]
    [InlineData("etcd.initial-cluster = \"other=http://127.0.0.1:2380\"", "couldn't find local name \"default\"")]
    [InlineData("etcd.initial-cluster = \"bad\"", "expected name=url")]
    [InlineData("etcd.max-txn-ops = 0", "etcd.max-txn-ops must be at least 1, got 0")]
    [InlineData("etcd.heartbeat-interval = 0", "etcd.heartbeat-interval must be at least 1, got 0")]
    [InlineData("etcd.snapshot-count = 0", "etcd.snapshot-count must be at least 1, got 0")]
    [InlineData("etcd.listen-peer-urls = []", "etcd.listen-peer-urls must name at least one URL")]
    [InlineData("etcd.max-request-bytes = lots", "etcd.max-request-bytes must be an integer")]
    public void Bad_settings_are_refused_with_a_reason(string hocon, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => EtcdServerSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(reason, ex.Message);
    }

    /// <summary>
    /// Before: RaftSettings.From clamped a zero or negative queue bound to 1 and EtcdServerSettings passed
    /// it on unchecked, so a typo in a config file silently made a member refuse nearly every request.
    /// </summary>
    [Theory]
    [InlineData("etcd.raft.max-pending-proposals = 0", "etcd.raft.max-pending-proposals must be at least 1, got 0")]
    [InlineData("etcd.raft.max-batch-entries = -5", "etcd.raft.max-batch-entries must be at least 1, got -5")]
    [InlineData("etcd.raft.max-committed-unapplied = 0", "etcd.raft.max-committed-unapplied must be at least 1, got 0")]
    [InlineData("etcd.raft.snapshot-catch-up-entries = 0", "etcd.raft.snapshot-catch-up-entries must be at least 1, got 0")]
    [InlineData("etcd.raft.max-pending-proposals = many", "etcd.raft.max-pending-proposals must be an integer")]
    [InlineData("etcd.raft.max-bytes-per-message = huge", "etcd.raft.max-bytes-per-message must be a size in bytes")]
    [InlineData("etcd.raft.snapshot-chunk-size = 4 GiB", "etcd.raft.snapshot-chunk-size must be at most 2147483647 bytes")]
    [InlineData("etcd.raft.read-retry-interval = 0s", "etcd.raft.read-retry-interval must be a positive duration")]
    [InlineData("etcd.raft.snapshot-ack-timeout = soon", "etcd.raft.snapshot-ack-timeout must be a duration")]
    [InlineData("etcd.mvcc.max-pending-reads = 0", "etcd.mvcc.max-pending-reads must be at least 1, got 0")]
    [InlineData("etcd.pre-vote = maybe", "etcd.pre-vote must be a boolean")]
    [InlineData("etcd.raft.snapshot-retry-max = 1s", "etcd.raft.snapshot-retry-max (00:00:01) must be at least etcd.raft.snapshot-retry-min (00:00:02)")]
    [InlineData("etcd.raft.snapshot-max-transfers = 0", "etcd.raft.snapshot-max-transfers must be at least 1, got 0")]
    public void A_bad_value_is_refused_naming_its_key_instead_of_being_clamped(string hocon, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => EtcdServerSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void The_part_factories_refuse_bad_values_on_their_own()
    {
        Assert.Contains("etcd.raft.max-forward-hops must be at least 0, got -1",
            Assert.Throws<ArgumentException>(() => RaftSettings.Create(ConfigurationFactory.ParseString("etcd.raft.max-forward-hops = -1"))).Message);
        Assert.Contains("etcd.mvcc.max-pending-reads must be an integer",
            Assert.Throws<ArgumentException>(() => MvccSettings.Create(ConfigurationFactory.ParseString("etcd.mvcc.max-pending-reads = x"))).Message);
    }

    /// <summary>Every number, size, duration and switch in reference.conf is read (and checked) by a factory or by the node's flags.</summary>
    [Fact]
    public void Every_part_key_in_reference_conf_is_read_by_its_factory()
    {
        var keys = LeafKeys(EtcdConfig.Reference.GetConfig("etcd.raft"), "etcd.raft")
            .Concat(LeafKeys(EtcdConfig.Reference.GetConfig("etcd.mvcc"), "etcd.mvcc"))
            .Concat(LeafKeys(EtcdConfig.Reference.GetConfig("etcd.compactor"), "etcd.compactor"))
            .ToArray();
        Assert.Contains("etcd.raft.max-pending-proposals", keys);
        Assert.Contains("etcd.mvcc.max-pending-reads", keys);
        foreach (var key in keys)
        {
            var bad = ConfigurationFactory.ParseString($"{key} = \"not-a-value\"");
            var ex = Assert.Throws<ArgumentException>(() => EtcdServerSettings.Create(bad));
            Assert.StartsWith(key + " must be", ex.Message);
        }
    }

    [Fact]
    public void Derived_timeouts_follow_the_tick()
    {
        var r = RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 };
        Assert.Equal(TimeSpan.FromMilliseconds(500), r.ElectionTimeout);
        Assert.Equal(120, r.ReadRoundTimeoutTicks); // (5 s + 2 × 500 ms) / 50 ms, etcd's request timeout
        Assert.Equal(30, r.NoLeaderTimeoutTicks);   // three election timeouts
        Assert.Equal(10, r.ReadRetryTicks);         // 500 ms
        Assert.Equal(100, r.HealthIntervalTicks);   // 5 s
    }

    [Fact]
    public void Batch_and_forward_bytes_make_room_for_the_largest_request()
    {
        var small = RaftSettings.Default;
        Assert.Equal(8L * 1024 * 1024, small.MaxBatchBytes);
        Assert.Equal(1_572_864L, small.MaxForwardBytes); // 1 MiB raised to the default --max-request-bytes
        var big = RaftSettings.Create(ConfigurationFactory.ParseString("etcd.max-request-bytes = 10485760"));
        Assert.Equal(2L * 10485760, big.MaxBatchBytes);
        Assert.Equal(10485760L, big.MaxForwardBytes);
    }

    private static IEnumerable<string> LeafKeys(Config section, string prefix) =>
        section.AsEnumerable().Select(kv => prefix + "." + kv.Key);
}
