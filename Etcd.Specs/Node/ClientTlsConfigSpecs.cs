using System.Net.Security;
using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>The client TLS flags through the configuration pipeline: flags, ETCD_* variables, and etcd 3.4's start-up refusals.</summary>
public sealed class ClientTlsConfigSpecs
{
    [Fact]
    public void The_client_tls_flags_reach_the_node_options()
    {
        var tls = NodeConfig.Run("--listen-client-urls", "https://127.0.0.1:2379,http://127.0.0.1:22379", "--advertise-client-urls", "https://127.0.0.1:2379",
            "--cert-file", "s.pem", "--key-file", "s-key.pem", "--trusted-ca-file", "ca.pem", "--client-cert-auth",
            "--client-crl-file", "ca.crl", "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305").Options.ClientTls;
        Assert.Equal(("s.pem", "s-key.pem", "ca.pem", true, "ca.crl", false), (tls.CertFile, tls.KeyFile, tls.TrustedCaFile, tls.ClientCertAuth, tls.CrlFile, tls.AutoTls));
        Assert.Equal([TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256], tls.CipherSuites);
    }

    [Fact]
    public void Etcd_variables_set_them_as_the_flags_do()
    {
        var run = NodeConfig.Run([], env: new()
        {
            ["ETCD_CERT_FILE"] = "s.pem", ["ETCD_KEY_FILE"] = "s-key.pem", ["ETCD_TRUSTED_CA_FILE"] = "ca.pem",
            ["ETCD_CLIENT_CERT_AUTH"] = "true", ["ETCD_AUTO_TLS"] = "true", ["ETCD_CLIENT_CRL_FILE"] = "ca.crl",
        });
        var tls = run.Options.ClientTls;
        Assert.Equal(("s.pem", "s-key.pem", "ca.pem", true, true, "ca.crl"), (tls.CertFile, tls.KeyFile, tls.TrustedCaFile, tls.ClientCertAuth, tls.AutoTls, tls.CrlFile));
        Assert.Empty(run.Warnings);
    }

    [Fact]
    public void An_https_client_url_without_a_certificate_is_refused_with_etcds_message()
    {
        Assert.Equal("TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme",
            NodeConfig.Fails(["--listen-client-urls", "http://127.0.0.1:22379,https://127.0.0.1:2379", "--advertise-client-urls", "https://127.0.0.1:2379"]));
    }

    [Fact]
    public void Auto_tls_stands_in_for_the_certificate()
    {
        var tls = NodeConfig.Run("--listen-client-urls", "https://127.0.0.1:2379", "--advertise-client-urls", "https://127.0.0.1:2379", "--auto-tls").Options.ClientTls;
        Assert.True(tls.AutoTls);
        Assert.True(tls.Empty);
    }

    [Fact]
    public void A_trusted_ca_alone_requires_client_certificates_as_in_etcd_3_4()
    {
        Assert.True(NodeConfig.Run("--trusted-ca-file", "ca.pem").Options.ClientTls.RequireClientCertificate);
        Assert.True(NodeConfig.Run("--client-cert-auth").Options.ClientTls.RequireClientCertificate);
        Assert.False(NodeConfig.Run("--cert-file", "s.pem", "--key-file", "k.pem").Options.ClientTls.RequireClientCertificate);
    }

    [Theory]
    [InlineData("FOO")]
    [InlineData("tls_ecdhe_rsa_with_aes_128_gcm_sha256")]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384")]
    public void An_unknown_cipher_suite_is_refused_with_etcds_message_even_without_tls(string name)
    {
        Assert.Equal($"unexpected TLS cipher suite \"{name}\"",
            NodeConfig.Fails(["--cipher-suites", $"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,{name}"]));
    }
}
