using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// TLS on the client port (docs/design.md "Client TLS"), with the real etcdctl and a throw-away CA per spec: https and
/// http client URLs side by side, mutual TLS (a client without a certificate, or with one from another CA, is refused in
/// the handshake and writes nothing), and etcd 3.4's start-up refusal of an https URL without a certificate.
/// </summary>
public sealed class ClientTlsSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Etcdctl_puts_and_gets_over_mutual_tls_while_plain_http_serves_beside_it()
    {
        using var dir = new TempDir("etcd-tls-mtls");
        var pki = new TestCertificates(dir.Sub("pki"));
        var plain = FreePort.Next();
        var node = MutualTlsNode(dir, pki, plain);
        await using var _ = node;
        await node.StartAsync();

        var https = node.Endpoint;
        Assert.StartsWith("https://", https);
        Assert.Equal("OK", (await Etcdctl.RunAsync(https, [.. pki.EtcdctlFlags(pki.Client), "put", "foo", "over-tls"])).EnsureSuccess().Stdout.Trim());
        Assert.Equal("foo\nover-tls", (await Etcdctl.RunAsync(https, [.. pki.EtcdctlFlags(pki.Client), "get", "foo"])).EnsureSuccess().Stdout.Trim());
        // The same member on its http URL: no certificate asked for there.
        Assert.Equal("foo\nover-tls", (await Etcdctl.RunAsync($"http://127.0.0.1:{plain}", "get", "foo")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("OK", (await Etcdctl.RunAsync($"http://127.0.0.1:{plain}", "put", "bar", "plain")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("bar\nplain", (await Etcdctl.RunAsync(https, [.. pki.EtcdctlFlags(pki.Client), "get", "bar"])).EnsureSuccess().Stdout.Trim());

        // The member advertises its https URL, and says which URL is served how, in etcd's words.
        var members = (await Etcdctl.RunAsync(https, [.. pki.EtcdctlFlags(pki.Client), "member", "list"])).EnsureSuccess().Stdout;
        Assert.Contains($", {https}", members);
        Assert.Contains($"serving client requests on 127.0.0.1:{node.ClientPort}", node.Output);
        Assert.Contains($"serving insecure client requests on 127.0.0.1:{plain}, this is strongly discouraged!", node.Output);
        Assert.Contains($"ClientTLS: cert = {pki.Server.CertFile}, key = {pki.Server.KeyFile}, trusted-ca = {pki.CaFile}, client-cert-auth = true, crl-file = ", node.Output);
    }

    [Fact]
    public async Task A_client_without_a_certificate_or_with_one_from_another_ca_is_refused_and_writes_nothing()
    {
        using var dir = new TempDir("etcd-tls-refuse");
        var pki = new TestCertificates(dir.Sub("pki"));
        var node = MutualTlsNode(dir, pki, FreePort.Next());
        await using var _ = node;
        await node.StartAsync();

        var none = await Etcdctl.RunAsync(node.Endpoint, ["--dial-timeout=2s", .. pki.EtcdctlFlags(null), "put", "k", "no-cert"]);
        output.WriteLine($"no certificate: exit {none.ExitCode} {none.Stderr}");
        Assert.NotEqual(0, none.ExitCode);
        var stranger = await Etcdctl.RunAsync(node.Endpoint, ["--dial-timeout=2s", .. pki.EtcdctlFlags(pki.OtherCaClient), "put", "k", "stranger"]);
        output.WriteLine($"another CA: exit {stranger.ExitCode} {stranger.Stderr}");
        Assert.NotEqual(0, stranger.ExitCode);

        // Nothing was written, and the member logged each refused handshake as etcd does.
        var get = (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(pki.Client), "get", "k", "-w", "json"])).EnsureSuccess().Stdout;
        Assert.DoesNotContain("\"kvs\"", get);
        Assert.Contains("(error \"tls: client didn't provide a certificate\", ServerName \"\")", node.Output);
        Assert.Contains("(error \"tls: failed to verify client's certificate: x509: certificate signed by unknown authority\"", node.Output);
    }

    [Fact]
    public async Task An_https_url_without_a_certificate_stops_the_member_with_etcds_message()
    {
        using var dir = new TempDir("etcd-tls-nocert");
        var ours = new NodeProcess(dir.Sub("ours")) { ClientScheme = "https" };
        var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next());
        etcd.ClientScheme = "https";
        await using var a = ours;
        await using var b = etcd;

        foreach (var node in new[] { etcd, ours })
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => node.StartAsync());
            output.WriteLine(failure.Message);
            Assert.NotEqual(0, await node.Exited);
            Assert.Contains($"TLS key/cert (--cert-file, --key-file) must be provided for client url {node.Endpoint} with HTTPS scheme", failure.Message);
        }
    }

    /// <summary>https (the advertised URL) plus a plain http URL, a server certificate, the CA and --client-cert-auth.</summary>
    internal static NodeProcess MutualTlsNode(TempDir dir, TestCertificates pki, int plainPort, params string[] more)
    {
        var clientPort = FreePort.Next();
        return new NodeProcess(dir.Sub("data"), clientPort: clientPort, extraArgs:
        [
            "--listen-client-urls", $"https://127.0.0.1:{clientPort},http://127.0.0.1:{plainPort}",
            "--cert-file", pki.Server.CertFile, "--key-file", pki.Server.KeyFile,
            "--trusted-ca-file", pki.CaFile, "--client-cert-auth", .. more,
        ]) { ClientScheme = "https" };
    }
}
