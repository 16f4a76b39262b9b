using Etcd.Actors.Configuration;
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
        // Deliberately not etcd 3.4's "false": remaining TTLs are checkpointed through Raft by default (docs/design.md, Lease).
        { "experimental-enable-lease-checkpoint", "true" }, { "experimental-compaction-batch-limit", "1000" },
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
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.Raft.TickInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), s.Raft.ElectionTimeout);
        Assert.Equal(100_000, s.Raft.SnapshotCount);
        Assert.Equal(0, s.QuotaBackendBytes);
        Assert.Equal(128, s.MaxTxnOps);
        Assert.Equal(1_572_864, s.MaxRequestBytes);
        Assert.Equal("info", s.LogLevel);
        Assert.Equal(10, s.BcryptCost);
        Assert.Equal(TimeSpan.FromSeconds(300), s.AuthTokenTtl);

        var o = run.Options;
        Assert.Equal(["http://localhost:2379"], o.ListenClientUrls);
        Assert.Equal(4294967295L, o.MaxConcurrentStreams);
        Assert.Equal(TimeSpan.FromHours(2), o.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), o.KeepAliveTimeout);
        Assert.False(o.LogToStdout);
        Assert.False(o.DataDirGiven);
        Assert.Empty(run.Warnings);
    }

    [Theory]
    [InlineData("12", 12)]
    [InlineData("3", 10)]
    [InlineData("32", 10)]
    public void Bcrypt_cost_and_token_ttl_reach_the_settings_with_etcds_fallback_for_a_bad_cost(string cost, int effective)
    {
        var s = NodeConfig.Run("--bcrypt-cost", cost, "--auth-token-ttl", "60").Settings;
        Assert.Equal(effective, s.BcryptCost);
        Assert.Equal(TimeSpan.FromSeconds(60), s.AuthTokenTtl);
    }

    [Fact]
    public void The_auth_token_option_string_reaches_the_settings_as_given()
    {
        const string jwt = "jwt,pub-key=/k/pub.pem,priv-key=/k/priv.pem,sign-method=RS256,ttl=10m";
        Assert.Equal(jwt, NodeConfig.Run("--auth-token", jwt).Settings.AuthToken);
        Assert.Equal("simple", NodeConfig.Run().Settings.AuthToken);
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

    /// <summary>
    /// One home for each knob: every flag we honour has its key in reference.conf, and the default etcd's
    /// --help shows (FlagCatalog) is the value there. Before, five honoured flags had no key at all.
    /// </summary>
    [Fact]
    public void Every_supported_flag_has_its_key_in_reference_conf_with_the_flags_default()
    {
        var reference = EtcdConfig.Reference;
        var missing = FlagCatalog.All.Where(f => f.Support == FlagSupport.Supported && !reference.HasPath(f.HoconPath)).Select(f => f.HoconPath).ToArray();
        Assert.True(missing.Length == 0, "supported flags without a key in reference.conf: " + string.Join(", ", missing));
        foreach (var spec in FlagCatalog.All.Where(f => reference.HasPath(f.HoconPath)))
        {
            var fromReference = HoconValues.Read(reference, spec);
            Assert.True(FeatureGate.Same(spec.DefaultValue, fromReference), $"{spec.Name}: flag default {FeatureGate.Show(spec.DefaultValue)} vs reference.conf {FeatureGate.Show(fromReference)}");
        }
    }

    /// <summary>A key at the top of etcd { } is a flag's; our own knobs live in the raft, mvcc and compactor sections.</summary>
    [Fact]
    public void Every_top_level_key_in_reference_conf_is_a_flag()
    {
        var top = EtcdConfig.Reference.GetConfig("etcd").AsEnumerable().Select(kv => kv.Key.Split('.')[0]).Distinct().ToArray();
        Assert.Contains("snapshot-count", top);
        var strays = top.Where(k => k is not ("raft" or "mvcc" or "compactor") && FlagCatalog.Find(k) is null).ToArray();
        Assert.True(strays.Length == 0, "keys in reference.conf that no flag sets: " + string.Join(", ", strays));
    }

    /// <summary>A config file's bad value stops the node with a message that names the key, flag or not.</summary>
    [Theory]
    [InlineData("etcd.raft.max-pending-proposals = 0", "etcd.raft.max-pending-proposals must be at least 1, got 0")]
    [InlineData("etcd.raft.peer-health-interval = \"x\"", "etcd.raft.peer-health-interval must be a duration")]
    [InlineData("etcd.mvcc.max-pending-reads = -1", "etcd.mvcc.max-pending-reads must be at least 1, got -1")]
    [InlineData("etcd.max-txn-ops = \"x\"", "etcd.max-txn-ops")]
    public void A_bad_value_in_a_config_file_names_its_key(string hocon, string reason)
    {
        var message = NodeConfig.Fails(["--config-file", "n.conf"], files: new() { ["n.conf"] = hocon });
        Assert.Contains(reason, message);
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
