using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>--config-file: etcd's YAML (keys are flag names) or, for *.conf, HOCON under etcd.*.</summary>
public sealed class ConfigFileSpecs
{
    private static RunNode Yaml(string yaml) => NodeConfig.Run(["--config-file", "etcd.conf.yml"], files: new() { ["etcd.conf.yml"] = yaml });

    private static string YamlFails(string yaml) => NodeConfig.Fails(["--config-file", "etcd.conf.yml"], files: new() { ["etcd.conf.yml"] = yaml });

    /// <summary>Shaped like etcd 3.4's etcd.conf.yml.sample, with the features that are built.</summary>
    private const string Sample = """
        # This is the configuration file for the etcd server.
        name: 'infra1'
        data-dir: /var/lib/infra1
        wal-dir:
        snapshot-count: 10000
        heartbeat-interval: 200
        election-timeout: 2000
        quota-backend-bytes: 8589934592
        listen-peer-urls: http://127.0.0.1:12380
        listen-client-urls: http://127.0.0.1:12379,http://10.0.0.1:12379
        max-snapshots: 5
        max-wals: 5
        cors:
        initial-advertise-peer-urls: http://127.0.0.1:12380
        advertise-client-urls: http://127.0.0.1:12379
        discovery:
        discovery-fallback: 'proxy'
        initial-cluster: infra1=http://127.0.0.1:12380
        initial-cluster-token: 'etcd-cluster-1'
        initial-cluster-state: 'new'
        strict-reconfig-check: true
        enable-v2: false
        enable-pprof: false
        proxy: 'off'
        client-transport-security:
          cert-file:
          key-file:
          client-cert-auth: false
          trusted-ca-file:
          auto-tls: false
        peer-transport-security:
          cert-file:
          auto-tls: false
        debug: false
        logger: capnslog
        log-outputs: [stderr]
        force-new-cluster: false
        auto-compaction-mode: periodic
        auto-compaction-retention: "0"
        max-request-bytes: 2097152
        grpc-keepalive-interval: 7200000000000
        """;

    [Fact]
    public void Etcds_sample_yaml_is_read_with_comma_separated_urls_and_nanosecond_durations()
    {
        var run = Yaml(Sample);
        var s = run.Settings;
        Assert.Equal("infra1", s.Name);
        Assert.Equal("/var/lib/infra1", s.DataDir);
        Assert.Equal(10000, s.Raft.SnapshotCount);
        Assert.Equal(TimeSpan.FromMilliseconds(200), s.Raft.TickInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), s.Raft.ElectionTimeout);
        Assert.Equal(8589934592, s.QuotaBackendBytes);
        Assert.Equal(2097152, s.MaxRequestBytes);
        Assert.Equal("etcd-cluster-1", s.InitialClusterToken);
        Assert.Equal(["http://10.0.0.1:12379", "http://127.0.0.1:12379"], run.Options.ListenClientUrls);
        Assert.Equal(["http://127.0.0.1:12380"], s.AdvertisePeerUrls);
        Assert.Equal(TimeSpan.FromHours(2), run.Options.KeepAliveInterval);
        Assert.Equal(["http://127.0.0.1:12380"], run.Config.GetStringList("etcd.listen-peer-urls"));
    }

    [Fact]
    public void Tls_under_client_and_peer_transport_security_sets_the_client_and_peer_tls_flags()
    {
        var tls = Yaml("client-transport-security:\n  cert-file: /etc/ssl/server.crt\n  key-file: /etc/ssl/server.key\n" +
            "  trusted-ca-file: /etc/ssl/ca.crt\n  client-cert-auth: true\n  auto-tls: true\n").Options.ClientTls;
        Assert.Equal(("/etc/ssl/server.crt", "/etc/ssl/server.key", "/etc/ssl/ca.crt", true, true),
            (tls.CertFile, tls.KeyFile, tls.TrustedCaFile, tls.ClientCertAuth, tls.AutoTls));
        var peer = Yaml("peer-transport-security:\n  cert-file: /etc/ssl/peer.crt\n  key-file: /etc/ssl/peer.key\n" +
            "  trusted-ca-file: /etc/ssl/ca.crt\n  client-cert-auth: true\n  auto-tls: true\n").Options.PeerTls;
        Assert.Equal(("/etc/ssl/peer.crt", "/etc/ssl/peer.key", "/etc/ssl/ca.crt", true, true),
            (peer.CertFile, peer.KeyFile, peer.TrustedCaFile, peer.ClientCertAuth, peer.AutoTls));
    }

    [Fact]
    public void An_unknown_key_is_refused_rather_than_ignored()
    {
        Assert.Equal("config file etcd.conf.yml: unknown key \"snapshot-cuont\"", YamlFails("snapshot-cuont: 5"));
        Assert.Equal("config file etcd.conf.yml: unknown key \"client-transport-security.cert\"",
            YamlFails("client-transport-security:\n  cert: x\n"));
    }

    [Fact]
    public void A_bad_value_in_yaml_fails_naming_the_file_and_key()
    {
        Assert.Equal("config file etcd.conf.yml: invalid value \"often\" for \"snapshot-count\": parse error", YamlFails("snapshot-count: often"));
        Assert.Contains("URL scheme must be http, https, unix, or unixs", YamlFails("listen-peer-urls: 127.0.0.1:2380"));
    }

    [Fact]
    public void Broken_yaml_fails_with_one_line()
    {
        var message = YamlFails("name: [unclosed\n");
        Assert.StartsWith("config file etcd.conf.yml:", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void An_empty_yaml_file_changes_nothing()
    {
        Assert.Equal("default", Yaml("").Settings.Name);
        Assert.Equal("default", Yaml("# only a comment\n").Settings.Name);
    }

    [Fact]
    public void A_quoted_empty_string_is_a_value_but_a_bare_key_is_unset()
    {
        Assert.Equal("default.etcd", Yaml("data-dir:\n").Settings.DataDir);
        Assert.Equal("default.etcd", Yaml("data-dir: ''\n").Settings.DataDir); // empty means <name>.etcd, as in etcd
        Assert.Equal("etcd-cluster", Yaml("initial-cluster-token: ~\n").Settings.InitialClusterToken);
    }

    [Fact]
    public void A_hocon_file_is_read_when_the_name_ends_in_conf()
    {
        var run = NodeConfig.Run(["--config-file", "/etc/node1.conf"], files: new()
        {
            ["/etc/node1.conf"] = """
                etcd {
                  name = node1
                  listen-client-urls = ["http://127.0.0.1:22379"]
                  advertise-client-urls = ["http://127.0.0.1:22379"]
                  grpc-keepalive-interval = 30s
                  raft.max-batch-entries = 64
                }
                """,
        });
        Assert.Equal("node1", run.Settings.Name);
        Assert.Equal(64, run.Settings.Raft.MaxBatchEntries);
        Assert.Equal(["http://127.0.0.1:22379"], run.Options.ListenClientUrls);
        Assert.Equal(TimeSpan.FromSeconds(30), run.Options.KeepAliveInterval);
    }

    [Fact]
    public void A_hocon_file_is_checked_like_flags()
    {
        Assert.StartsWith("invalid value for etcd.listen-client-urls: URL scheme must be",
            NodeConfig.Fails(["--config-file", "n.conf"], files: new() { ["n.conf"] = "etcd.listen-client-urls = [\"localhost:1\"]" }));
        Assert.StartsWith("invalid value for etcd.initial-cluster-state: valid values are new, existing",
            NodeConfig.Fails(["--config-file", "n.conf"], files: new() { ["n.conf"] = "etcd.initial-cluster-state = maybe" }));
        Assert.Equal("--enable-v2=true is not supported: the v2 API and v2 proxy are out of scope",
            NodeConfig.Fails(["--config-file", "n.conf"], files: new() { ["n.conf"] = "etcd.enable-v2 = true" }));
        Assert.StartsWith("config file n.conf:",
            NodeConfig.Fails(["--config-file", "n.conf"], files: new() { ["n.conf"] = "etcd.name = ${missing}" }));
    }

    [Fact]
    public void A_hocon_file_with_an_akka_section_tunes_the_member_actor_system_and_one_without_leaves_it_alone()
    {
        const string withAkka = """
            etcd.name = infra7
            akka.remote.retry-gate-closed-for = 3s
            """;
        var run = NodeConfig.Run(["--config-file", "n.conf"], files: new() { ["n.conf"] = withAkka });
        Assert.Equal("infra7", run.Settings.Name);
        var akka = Akka.Configuration.ConfigurationFactory.ParseString(run.Settings.ExtraHocon!);
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.remote.retry-gate-closed-for"));

        var plain = NodeConfig.Run(["--config-file", "p.conf"], files: new() { ["p.conf"] = "etcd.name = infra8" });
        Assert.Null(plain.Settings.ExtraHocon);
    }
}
