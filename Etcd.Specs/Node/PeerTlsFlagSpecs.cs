using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// The peer TLS flags at start-up (Etcd.Node/Configuration/PeerTlsOptions.cs): https peer URLs are served, with
/// etcd 3.4's message when no certificate is given, and a member whose peer URLs mix http and https is refused (one
/// Akka.Remote transport per member).
/// </summary>
public sealed class PeerTlsFlagSpecs
{
    private static readonly string[] Https =
    [
        "--listen-peer-urls", "https://127.0.0.1:2380", "--initial-advertise-peer-urls", "https://127.0.0.1:2380",
        "--initial-cluster", "default=https://127.0.0.1:2380",
    ];

    [Fact]
    public void Https_peer_urls_with_a_certificate_or_peer_auto_tls_are_taken()
    {
        var files = NodeConfig.Run([.. Https, "--peer-cert-file", "/p.pem", "--peer-key-file", "/p-key.pem", "--peer-trusted-ca-file", "/ca.pem",
            "--peer-client-cert-auth", "--peer-crl-file", "/ca.crl", "--peer-cert-allowed-cn", "member"]).Options.PeerTls;
        Assert.True(files.Enabled);
        Assert.True(files.RequireClientCertificate);
        Assert.Equal(("/p.pem", "/p-key.pem", "/ca.pem", "/ca.crl", "member"), (files.CertFile, files.KeyFile, files.TrustedCaFile, files.CrlFile, files.AllowedCn));
        var auto = NodeConfig.Run([.. Https, "--peer-auto-tls"]);
        Assert.True(auto.Options.PeerTls.AutoTls);
        Assert.Equal(["https://127.0.0.1:2380"], auto.Settings.AdvertisePeerUrls);
        Assert.False(NodeConfig.Run().Options.PeerTls.Enabled);
    }

    [Fact]
    public void An_https_peer_url_without_a_certificate_is_refused_with_etcds_message()
    {
        // etcd 3.4.23: "C | etcdmain: cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented".
        Assert.Equal("cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented", NodeConfig.Fails(Https));
    }

    [Fact]
    public void Peer_urls_that_mix_http_and_https_are_refused_with_the_reason()
    {
        Assert.Equal("peer URLs must be all http or all https (Akka.Remote runs one transport per member): http://127.0.0.1:2390 does not match https://127.0.0.1:2380",
            NodeConfig.Fails([.. Https, "--peer-auto-tls", "--initial-cluster", "default=https://127.0.0.1:2380,other=http://127.0.0.1:2390"]));
        Assert.Equal("peer URLs must be all http or all https (Akka.Remote runs one transport per member): https://127.0.0.1:2380 does not match http://localhost:2380",
            NodeConfig.Fails(["--initial-advertise-peer-urls", "https://127.0.0.1:2380", "--initial-cluster", "default=https://127.0.0.1:2380", "--peer-auto-tls"]));
    }

    [Fact]
    public void Allowed_cn_and_allowed_hostname_together_are_refused_with_etcds_message()
    {
        // etcd 3.4 (pkg/transport/listener.go baseConfig): "C | etcdmain: AllowedCN and AllowedHostname are mutually exclusive (...)".
        string[] both = ["--peer-cert-allowed-cn", "member", "--peer-cert-allowed-hostname", "etcd.example.com"];
        Assert.Equal("AllowedCN and AllowedHostname are mutually exclusive (cn=\"member\", hostname=\"etcd.example.com\")",
            NodeConfig.Fails([.. Https, "--peer-cert-file", "/p.pem", "--peer-key-file", "/p-key.pem", .. both]));
        Assert.Equal("AllowedCN and AllowedHostname are mutually exclusive (cn=\"member\", hostname=\"etcd.example.com\")",
            NodeConfig.Fails([.. Https, "--peer-auto-tls", .. both]));
        // Without any peer certificate etcd builds no TLS config, so it never sees the two.
        Assert.Equal("member", NodeConfig.Run(both).Options.PeerTls.AllowedCn);
    }
}
