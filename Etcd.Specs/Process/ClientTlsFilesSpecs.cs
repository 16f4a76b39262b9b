using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Where the client port's certificates come from and when they change (docs/design.md "Client TLS"): --auto-tls makes
/// one under the data dir and reuses it, a rotated certificate file is served without a restart, a CRL refuses the
/// certificates it lists, and --cipher-suites limits TLS 1.2's suites, side by side with etcd 3.4 where it shows.
/// </summary>
public sealed class ClientTlsFilesSpecs(ITestOutputHelper output)
{
    private static readonly string[] InsecureTls = ["--insecure-transport=false", "--insecure-skip-tls-verify"];

    [Fact]
    public async Task Auto_tls_makes_a_certificate_under_the_data_dir_keeps_it_across_a_restart_and_serves_etcdctl_like_etcd()
    {
        using var dir = new TempDir("etcd-autotls");
        var ours = new NodeProcess(dir.Sub("ours"), extraArgs: ["--auto-tls"]) { ClientScheme = "https" };
        var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), "--auto-tls");
        etcd.ClientScheme = "https";
        await using var a = ours;
        await using var b = etcd;
        await Task.WhenAll(ours.StartAsync(), etcd.StartAsync());

        foreach (var node in new[] { etcd, ours })
        {
            var put = await Etcdctl.RunAsync(node.Endpoint, [.. InsecureTls, "put", "foo", "bar"]);
            var get = await Etcdctl.RunAsync(node.Endpoint, [.. InsecureTls, "get", "foo"]);
            // etcdctl 3.4 dials in cleartext unless told otherwise (--insecure-transport defaults to true).
            var cleartext = await Etcdctl.RunAsync(node.Endpoint, ["--dial-timeout=2s", "--insecure-skip-tls-verify", "get", "foo"]);
            output.WriteLine($"{(node.RealEtcd ? "etcd" : "ours")}: put {put.ExitCode} {put.Stdout.Trim()}, get {get.Stdout.Trim()}, cleartext {cleartext.ExitCode}");
            Assert.Equal("OK", put.EnsureSuccess().Stdout.Trim());
            Assert.Equal("foo\nbar", get.EnsureSuccess().Stdout.Trim());
            Assert.NotEqual(0, cleartext.ExitCode);

            var certFile = Path.Combine(node.DataDir, "fixtures", "client", "cert.pem");
            var keyFile = Path.Combine(node.DataDir, "fixtures", "client", "key.pem");
            Assert.True(File.Exists(certFile) && File.Exists(keyFile), $"no fixtures/client pair in {node.DataDir}");
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", File.ReadAllText(keyFile));
            using var cert = X509CertificateLoader.LoadCertificateFromFile(certFile);
            Assert.Equal("O=etcd", cert.Subject);
            Assert.Contains("127.0.0.1", cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses().Select(ip => ip.ToString()));
            var served = await TlsProbe.HandshakeAsync(node.ClientPort);
            Assert.Equal(cert.Thumbprint, served.Served?.Thumbprint);
        }

        // Ours again after a restart: the same certificate, from the same files.
        var before = File.ReadAllText(Path.Combine(ours.DataDir, "fixtures", "client", "cert.pem"));
        Assert.Equal(0, await ours.StopAsync());
        await ours.StartAsync();
        Assert.Equal(before, File.ReadAllText(Path.Combine(ours.DataDir, "fixtures", "client", "cert.pem")));
        using var kept = X509Certificate2.CreateFromPem(before);
        Assert.Equal(kept.Thumbprint, (await TlsProbe.HandshakeAsync(ours.ClientPort)).Served?.Thumbprint);
        Assert.Equal("foo\nbar", (await Etcdctl.RunAsync(ours.Endpoint, [.. InsecureTls, "get", "foo"])).EnsureSuccess().Stdout.Trim());
    }

    [Fact]
    public async Task A_rotated_certificate_is_served_without_a_restart()
    {
        using var dir = new TempDir("etcd-tls-rotate");
        var pki = new TestCertificates(dir.Sub("pki"));
        var certFile = dir.Sub("server.pem");
        var keyFile = dir.Sub("server-key.pem");
        File.Copy(pki.Server.CertFile, certFile);
        File.Copy(pki.Server.KeyFile, keyFile);
        var node = new NodeProcess(dir.Sub("data"), extraArgs: ["--cert-file", certFile, "--key-file", keyFile]) { ClientScheme = "https" };
        await using var _ = node;
        await node.StartAsync();
        Assert.Equal(pki.Server.SerialHex, (await TlsProbe.HandshakeAsync(node.ClientPort)).Served?.SerialNumber);

        // Rotate: each file replaced whole (rename over it), the key first, as a deployment tool would.
        var next = pki.IssueServer("server-next", 2001);
        File.Copy(next.KeyFile, keyFile + ".new");
        File.Move(keyFile + ".new", keyFile, overwrite: true);
        File.Copy(next.CertFile, certFile + ".new");
        File.Move(certFile + ".new", certFile, overwrite: true);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string? serial;
        do
        {
            serial = (await TlsProbe.HandshakeAsync(node.ClientPort)).Served?.SerialNumber;
            if (serial == next.SerialHex) break;
            await Task.Delay(200); // polling the port: there is no event for "the next handshake uses the new file"
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(next.SerialHex, serial);
        Assert.Equal("OK", (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(null), "put", "k", "after-rotation"])).EnsureSuccess().Stdout.Trim());
        // The member logs the reload just before the handshake it serves with the new certificate, but the spec reads
        // that line from a pipe on a thread of its own: awaited as an event, not looked up in what was read so far.
        await node.WaitForLineAsync($"client TLS certificate reloaded from {certFile}", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_client_certificate_listed_in_the_crl_is_refused_and_writes_nothing()
    {
        using var dir = new TempDir("etcd-tls-crl");
        var pki = new TestCertificates(dir.Sub("pki"));
        var node = ClientTlsSpecs.MutualTlsNode(dir, pki, FreePort.Next(), "--client-crl-file", pki.CrlFile);
        await using var _ = node;
        await node.StartAsync();

        var revoked = await Etcdctl.RunAsync(node.Endpoint, ["--dial-timeout=2s", .. pki.EtcdctlFlags(pki.Revoked), "put", "k", "revoked"]);
        output.WriteLine($"revoked: exit {revoked.ExitCode} {revoked.Stderr}");
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.Contains("certificate is revoked by CRL", node.Output);
        var get = (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(pki.Client), "get", "k", "-w", "json"])).EnsureSuccess().Stdout;
        Assert.DoesNotContain("\"kvs\"", get);
        Assert.Equal("OK", (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(pki.Client), "put", "k", "good"])).EnsureSuccess().Stdout.Trim());
    }

    [Fact]
    public async Task Cipher_suites_limit_tls_1_2_as_in_etcd_and_an_unknown_name_stops_both()
    {
        using var dir = new TempDir("etcd-tls-ciphers");
        var pki = new TestCertificates(dir.Sub("pki"));
        string[] args = ["--cert-file", pki.Server.CertFile, "--key-file", pki.Server.KeyFile, "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"];
        var ours = new NodeProcess(dir.Sub("ours"), extraArgs: args) { ClientScheme = "https" };
        var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), args);
        etcd.ClientScheme = "https";
        await using var a = ours;
        await using var b = etcd;
        await Task.WhenAll(ours.StartAsync(), etcd.StartAsync());

        foreach (var node in new[] { etcd, ours })
        {
            var other = await TlsProbe.HandshakeAsync(node.ClientPort, SslProtocols.Tls12, [TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]);
            var listed = await TlsProbe.HandshakeAsync(node.ClientPort, SslProtocols.Tls12, [TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]);
            var tls13 = await TlsProbe.HandshakeAsync(node.ClientPort, SslProtocols.Tls13);
            output.WriteLine($"{(node.RealEtcd ? "etcd" : "ours")}: other suite {other.Failure?.Message ?? "accepted"}, listed {listed.Suite}, TLS 1.3 {tls13.Suite}");
            Assert.False(other.Succeeded, "a TLS 1.2 client offering only another suite was accepted");
            Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, listed.Suite);
            Assert.True(tls13.Succeeded, $"TLS 1.3 refused: {tls13.Failure}"); // Go's --cipher-suites leaves TLS 1.3 alone
            Assert.Equal("OK", (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(null), "put", "k", "v"])).EnsureSuccess().Stdout.Trim());
        }

        await ours.StopAsync();
        await etcd.StopAsync();
        var badOurs = new NodeProcess(dir.Sub("ours-bad"), extraArgs: ["--cipher-suites", "TLS_NOT_A_SUITE"]);
        var badEtcd = NodeProcess.ReferenceMember(dir.Sub("etcd-bad"), "default", FreePort.Next(), "--cipher-suites", "TLS_NOT_A_SUITE");
        await using var c = badOurs;
        await using var d = badEtcd;
        foreach (var node in new[] { badEtcd, badOurs })
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => node.StartAsync());
            Assert.Contains("unexpected TLS cipher suite \"TLS_NOT_A_SUITE\"", failure.Message);
            Assert.NotEqual(0, await node.Exited);
        }
    }
}
