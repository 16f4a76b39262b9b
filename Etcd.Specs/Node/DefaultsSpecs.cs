using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>With no flags the node is etcd 3.4.23 with no flags: member "default" on localhost:2379, data in ./default.etcd.</summary>
public sealed class DefaultsSpecs
{
    /// <summary>reference/etcd-v3-api.md §2.11 (etcd 3.4.23 `etcd --help`): every flag and the default it shows.</summary>
    public static TheoryData<string, string> EtcdHelpDefaults() => new()
    {
        { "name", "default" }, { "data-dir", "${name}.etcd" }, { "wal-dir", "" }, { "snapshot-count", "100000" },
        { "heartbeat-interval", "100" }, { "election-timeout", "1000" }, { "initial-election-tick-advance", "true" },
        { "listen-peer-urls", "http://localhost:2380" }, { "listen-client-urls", "http://localhost:2379" },
        { "max-snapshots", "5" }, { "max-wals", "5" }, { "quota-backend-bytes", "0" }, { "backend-batch-interval", "" },
        { "backend-batch-limit", "0" }, { "max-txn-ops", "128" }, { "max-request-bytes", "1572864" },
        { "max-concurrent-streams", "math.MaxUint32" }, { "grpc-keepalive-min-time", "5s" },
        { "grpc-keepalive-interval", "2h" }, { "grpc-keepalive-timeout", "20s" },
        { "initial-advertise-peer-urls", "http://localhost:2380" }, { "initial-cluster", "default=http://localhost:2380" },
        { "initial-cluster-state", "new" }, { "initial-cluster-token", "etcd-cluster" },
        { "advertise-client-urls", "http://localhost:2379" }, { "discovery", "" }, { "discovery-fallback", "proxy" },
        { "discovery-proxy", "" }, { "discovery-srv", "" }, { "discovery-srv-name", "" }, { "strict-reconfig-check", "true" },
        // Deliberately etcd 3.5's default, not 3.4's "false": pre-vote is on (docs/design.md).
        { "pre-vote", "true" }, { "auto-compaction-retention", "0" }, { "auto-compaction-mode", "periodic" },
        { "enable-v2", "false" }, { "cert-file", "" }, { "key-file", "" }, { "client-cert-auth", "false" },
        { "client-crl-file", "" }, { "client-cert-allowed-hostname", "" }, { "trusted-ca-file", "" }, { "auto-tls", "false" },
        { "peer-cert-file", "" }, { "peer-key-file", "" }, { "peer-client-cert-auth", "false" }, { "peer-trusted-ca-file", "" },
        { "peer-cert-allowed-cn", "" }, { "peer-cert-allowed-hostname", "" }, { "peer-auto-tls", "false" },
        { "peer-crl-file", "" }, { "cipher-suites", "" }, { "cors", "*" }, { "host-whitelist", "*" },
        { "auth-token", "simple" }, { "bcrypt-cost", "10" }, { "auth-token-ttl", "300" }, { "enable-pprof", "false" },
        { "metrics", "basic" }, { "listen-metrics-urls", "" }, { "logger", "capnslog" }, { "log-outputs", "default" },
        { "log-level", "info" }, { "proxy", "off" }, { "proxy-failure-wait", "5000" }, { "proxy-refresh-interval", "30000" },
        { "proxy-dial-timeout", "1000" }, { "proxy-write-timeout", "5000" }, { "proxy-read-timeout", "0" },
        { "experimental-initial-corrupt-check", "false" }, { "experimental-corrupt-check-time", "0s" },
        { "experimental-enable-v2v3", "" }, { "experimental-backend-bbolt-freelist-type", "array" },
        { "experimental-enable-lease-checkpoint", "false" }, { "experimental-compaction-batch-limit", "1000" },
        { "experimental-peer-skip-client-san-verification", "false" },
        { "experimental-watch-progress-notify-interval", "10m" }, { "experimental-warning-apply-duration", "100ms" },
        { "force-new-cluster", "false" }, { "debug", "false" }, { "log-package-levels", "" },
    };

    [Theory]
    [MemberData(nameof(EtcdHelpDefaults))]
    public void Every_etcd_flag_exists_with_etcds_default(string name, string shown)
    {
        var spec = FlagCatalog.Find(name);
        Assert.NotNull(spec);
        Assert.Equal(shown, spec.ShownDefault ?? spec.Default);
        Assert.Null(FeatureGate.Reason(spec, spec.DefaultValue)); // the default is always accepted
    }

    [Fact]
    public void The_catalog_has_no_flag_etcd_does_not_have()
    {
        var etcd = EtcdHelpDefaults().Select(row => (string)row[0]).ToHashSet();
        Assert.All(FlagCatalog.All, f => Assert.Contains(f.Name, etcd));
        Assert.Equal(etcd.Count, FlagCatalog.All.Count);
    }

    [Fact]
    public void No_flags_gives_etcds_default_member()
    {
        var run = NodeConfig.Run();
        var s = run.Settings;
        Assert.Equal("default", s.Name);
        Assert.Equal("default.etcd", s.DataDir);
        Assert.Equal(["http://localhost:2379"], s.AdvertiseClientUrls);
        Assert.Equal(["http://localhost:2380"], s.AdvertisePeerUrls);
        var member = Assert.Single(s.InitialCluster);
        Assert.Equal("default", member.Key);
        Assert.Equal(["http://localhost:2380"], member.Value);
        Assert.Equal("etcd-cluster", s.InitialClusterToken);
        Assert.Equal("new", s.InitialClusterState);
        Assert.Equal(100, s.HeartbeatIntervalMs);
        Assert.Equal(1000, s.ElectionTimeoutMs);
        Assert.Equal(100_000, s.SnapshotCount);
        Assert.Equal(0, s.QuotaBackendBytes);
        Assert.Equal(128, s.MaxTxnOps);
        Assert.Equal(1_572_864, s.MaxRequestBytes);
        Assert.Equal("info", s.LogLevel);

        var o = run.Options;
        Assert.Equal(["http://localhost:2379"], o.ListenClientUrls);
        Assert.Equal(4294967295L, o.MaxConcurrentStreams);
        Assert.Equal(TimeSpan.FromHours(2), o.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), o.KeepAliveTimeout);
        Assert.False(o.LogToStdout);
        Assert.False(o.DataDirGiven);
        Assert.Empty(run.Warnings);
    }

    [Fact]
    public void The_data_dir_follows_the_name_and_the_initial_cluster_follows_the_peer_urls_as_in_etcd()
    {
        var s = NodeConfig.Run("--name", "infra1", "--initial-advertise-peer-urls", "http://127.0.0.1:12380").Settings;
        Assert.Equal("infra1.etcd", s.DataDir);
        var member = Assert.Single(s.InitialCluster);
        Assert.Equal("infra1", member.Key);
        Assert.Equal(["http://127.0.0.1:12380"], member.Value);
    }

    [Fact]
    public void Flag_defaults_agree_with_reference_conf_wherever_both_have_the_key()
    {
        var reference = EtcdServerSettings.Reference;
        foreach (var spec in FlagCatalog.All.Where(f => reference.HasPath(f.HoconPath)))
        {
            var fromReference = HoconValues.Read(reference, spec);
            Assert.True(FeatureGate.Same(spec.DefaultValue, fromReference), $"{spec.Name}: flag default {FeatureGate.Show(spec.DefaultValue)} vs reference.conf {FeatureGate.Show(fromReference)}");
        }
    }

    [Fact]
    public void The_merged_config_answers_for_every_flag()
    {
        var config = NodeConfig.Run().Config;
        Assert.All(FlagCatalog.All, f => Assert.True(config.HasPath(f.HoconPath), f.HoconPath));
        Assert.Equal("periodic", config.GetString("etcd.auto-compaction-mode"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("etcd.grpc-keepalive-min-time"));
    }
}
