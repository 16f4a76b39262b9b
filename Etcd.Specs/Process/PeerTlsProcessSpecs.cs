using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// TLS on the peer port with real Etcd.Node processes (docs/design.md "Transport", peer TLS): https peer URLs with
/// certificates of a throw-away CA and mutual authentication, and with --peer-auto-tls, elect and replicate; a member
/// whose certificate another CA signed is refused both ways, named in the log, and refusing it does not stop anyone;
/// a plain-text member and TLS members do not hear each other; a plain-text stranger gets nothing from a TLS member.
/// </summary>
public sealed class PeerTlsProcessSpecs(ITestOutputHelper output)
{
    /// <summary>
    /// How long a line may take to come: it counts the third member's own start, which may take as long as the 120 s
    /// it is given (StarvedStartSpecs measured starts up to ~50 s at load ~50; a spec here took 32 s at load ~28).
    /// </summary>
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_members_with_https_peer_urls_and_mutual_tls_elect_replicate_and_list_https_peer_urls()
    {
        using var dir = new TempDir("etcd-peer-tls");
        var pki = new TestCertificates(dir.Sub("pki"));
        var certs = Enumerable.Range(0, 3).Select(i => pki.IssuePeer($"member{i}", "member", 3000 + i)).ToArray();
        await using var cluster = ProcessCluster.Create(dir, _ => "https", i => MutualTls(pki, certs[i]));
        await cluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        output.WriteLine($"infra{leader} leads");

        Assert.Equal("OK", (await Etcdctl.RunAsync(cluster[leader].Endpoint, "put", "peer-tls", "replicated")).EnsureSuccess().Stdout.Trim());
        for (var i = 0; i < 3; i++) Assert.Equal("replicated", await SerializableGetAsync(cluster[i], "peer-tls"));

        var members = (await Etcdctl.RunAsync(cluster[0].Endpoint, "member", "list")).EnsureSuccess().Stdout;
        output.WriteLine(members);
        for (var i = 0; i < 3; i++) Assert.Contains($", started, infra{i}, https://127.0.0.1:{cluster[i].PeerPort}, ", members);

        // The peer port speaks TLS with the member's own certificate (asked for ours, as etcd's peer port does).
        using var mine = X509Certificate2.CreateFromPemFile(certs[1].CertFile, certs[1].KeyFile);
        var probe = await TlsProbe.HandshakeAsync(cluster[0].PeerPort, clientCertificate: X509CertificateLoader.LoadPkcs12(mine.Export(X509ContentType.Pkcs12), null));
        Assert.True(probe.Succeeded, probe.Failure?.ToString());
        using var served = X509CertificateLoader.LoadCertificateFromFile(certs[0].CertFile);
        Assert.Equal(served.Thumbprint, probe.Served?.Thumbprint);

        // A stranger in plain text gets nothing from a TLS member (an http member answers it: the spec below).
        await using var stranger = PlainStranger.Start();
        var asked = await stranger.AskClusterAsync(cluster[0].PeerPort, TimeSpan.FromSeconds(5));
        Assert.Null(asked);
        Assert.True(cluster[0].IsRunning);
    }

    [Fact]
    public async Task A_member_whose_certificate_another_ca_signed_is_refused_both_ways_with_a_line_naming_it_and_the_others_keep_serving()
    {
        using var dir = new TempDir("etcd-peer-tls-ca");
        var pki = new TestCertificates(dir.Sub("pki"));
        var certs = new[]
        {
            pki.IssuePeer("member0", "member", 3100), pki.IssuePeer("member1", "member", 3101),
            pki.IssuePeerFromAnotherCa("intruder", "intruder", 3102),
        };
        await using var cluster = ProcessCluster.Create(dir, _ => "https", i => MutualTls(pki, certs[i]));
        await Task.WhenAll(cluster[0].StartAsync(), cluster[1].StartAsync());
        var intruder = cluster[2].StartAsync(TimeSpan.FromSeconds(120));
        _ = intruder.ContinueWith(t => t.Exception, TaskScheduler.Default);

        // Both directions, on a member of the cluster: the intruder dialling it, and it dialling the intruder.
        var p2 = cluster[2].PeerPort;
        output.WriteLine(await cluster[0].WaitForLineAsync("W | embed: rejected connection from \"127.0.0.1\" (certificate \"CN=intruder\", error \"x509: certificate signed by unknown authority\")", Within));
        output.WriteLine(await cluster[0].WaitForLineAsync($"W | rafthttp: rejected the certificate of peer ssl.tcp://etcd@127.0.0.1:{p2} (certificate \"CN=intruder\", error \"x509: certificate signed by unknown authority\")", Within));

        // Refusing it stopped nobody (Akka.Remote runs CoordinatedShutdown on a failed outbound handshake; member.conf).
        Assert.Equal("OK", (await Etcdctl.RunAsync(cluster[0].Endpoint, "put", "after", "refusal")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("refusal", await SerializableGetAsync(cluster[1], "after"));
        Assert.True(cluster[0].IsRunning && cluster[1].IsRunning);
        Assert.False(intruder.IsCompletedSuccessfully, "the intruder became ready: it heard a leader");
    }

    [Fact]
    public async Task A_plain_text_member_and_tls_members_do_not_hear_each_other()
    {
        using var dir = new TempDir("etcd-peer-tls-plain");
        var pki = new TestCertificates(dir.Sub("pki"));
        var certs = Enumerable.Range(0, 2).Select(i => pki.IssuePeer($"member{i}", "member", 3200 + i)).ToArray();
        // infra2 speaks plain text and believes the others do too; they believe it speaks TLS.
        await using var cluster = ProcessCluster.Create(dir, i => i == 2 ? "http" : "https", i => i == 2 ? [] : MutualTls(pki, certs[i]));
        await Task.WhenAll(cluster[0].StartAsync(), cluster[1].StartAsync());
        var plain = cluster[2].StartAsync(TimeSpan.FromSeconds(120));
        _ = plain.ContinueWith(t => t.Exception, TaskScheduler.Default);

        // Its connections fail the TLS handshake on a TLS member; the TLS members' ones fail on its plain port.
        output.WriteLine(await cluster[0].WaitForLineAsync("due to TLS handshake failure", Within));
        output.WriteLine(await cluster[0].WaitForLineAsync($"Tried to associate with unreachable remote address [akka.ssl.tcp://etcd@127.0.0.1:{cluster[2].PeerPort}]", Within));
        Assert.Equal("OK", (await Etcdctl.RunAsync(cluster[0].Endpoint, "put", "k", "v")).EnsureSuccess().Stdout.Trim());
        Assert.True(cluster[0].IsRunning && cluster[1].IsRunning && cluster[2].IsRunning);
        Assert.False(plain.IsCompletedSuccessfully, "the plain member became ready: it heard a leader");
        // Had any message got through, its different cluster id (its --initial-cluster says http) would be refused with a line.
        foreach (var m in cluster.Members) Assert.DoesNotContain("cluster ID mismatch", m.Output, StringComparison.Ordinal);

        // What a stranger on the peer port gets: the plain member answers PeerClusterQuery to anyone (as etcd serves
        // GET /members on its peer port); a TLS member gives a plain-text stranger nothing.
        await using var stranger = PlainStranger.Start();
        Assert.NotNull(await stranger.AskClusterAsync(cluster[2].PeerPort, TimeSpan.FromSeconds(15)));
        Assert.Null(await stranger.AskClusterAsync(cluster[0].PeerPort, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Peer_auto_tls_members_make_a_certificate_under_fixtures_peer_and_form_a_cluster()
    {
        using var dir = new TempDir("etcd-peer-autotls");
        await using var cluster = ProcessCluster.Create(dir, _ => "https", _ => ["--peer-auto-tls"]);
        await cluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        Assert.Equal("OK", (await Etcdctl.RunAsync(cluster[leader].Endpoint, "put", "auto", "tls")).EnsureSuccess().Stdout.Trim());
        for (var i = 0; i < 3; i++) Assert.Equal("tls", await SerializableGetAsync(cluster[i], "auto"));
        var members = (await Etcdctl.RunAsync(cluster[1].Endpoint, "member", "list")).EnsureSuccess().Stdout;
        for (var i = 0; i < 3; i++) Assert.Contains($", started, infra{i}, https://127.0.0.1:{cluster[i].PeerPort}, ", members);

        for (var i = 0; i < 3; i++)
        {
            var certFile = Path.Combine(cluster[i].DataDir, "fixtures", "peer", "cert.pem");
            var keyFile = Path.Combine(cluster[i].DataDir, "fixtures", "peer", "key.pem");
            Assert.True(File.Exists(certFile) && File.Exists(keyFile), $"no fixtures/peer pair in {cluster[i].DataDir}");
            using var cert = X509CertificateLoader.LoadCertificateFromFile(certFile);
            // etcd 3.4.23's peer auto-TLS certificate: O=etcd, the listen peer URL's host as an IP SAN.
            Assert.Equal("O=etcd", cert.Subject);
            Assert.Contains("127.0.0.1", cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses().Select(ip => ip.ToString()));
            // No client certificate is asked for (etcd: no --peer-client-cert-auth), so a bare probe sees the one served.
            var probe = await TlsProbe.HandshakeAsync(cluster[i].PeerPort);
            Assert.True(probe.Succeeded, probe.Failure?.ToString());
            Assert.Equal(cert.Thumbprint, probe.Served?.Thumbprint);
        }
    }

    [Fact]
    public async Task A_malformed_crl_file_stops_the_member_at_start_with_one_fatal_line_naming_it()
    {
        using var dir = new TempDir("etcd-peer-tls-crl");
        var pki = new TestCertificates(dir.Sub("pki"));
        var member = pki.IssuePeer("member0", "member", 3300);
        var bad = Path.Combine(dir.Path, "truncated.crl");
        var text = File.ReadAllText(pki.CrlFile);
        File.WriteAllText(bad, text[..text.IndexOf("-----END", StringComparison.Ordinal)]);
        var cases = new[]
        {
            (Flags: (string[])[.. MutualTls(pki, member), "--peer-crl-file", bad], Line: "cannot set up peer TLS", Peer: "https", Client: "http"),
            (["--cert-file", pki.Server.CertFile, "--key-file", pki.Server.KeyFile, "--trusted-ca-file", pki.CaFile, "--client-cert-auth",
                "--client-crl-file", bad], "cannot set up client TLS", "http", "https"),
        };
        foreach (var (flags, line, peer, client) in cases)
        {
            await using var node = new NodeProcess(dir.Sub(line.Replace(' ', '-')), extraArgs: flags) { PeerScheme = peer, ClientScheme = client };
            await Assert.ThrowsAsync<InvalidOperationException>(() => node.StartAsync());
            Assert.Equal(1, await node.Exited);
            output.WriteLine(node.Output);
            Assert.Contains($"C | etcdmain: {line}: cannot parse CRL file {bad}: malformed CRL: no complete PEM block", node.Output);
            Assert.DoesNotContain("Unhandled exception", node.Output);
        }
    }

    private static string[] MutualTls(TestCertificates pki, TestCertificates.Pair pair) =>
        ["--peer-cert-file", pair.CertFile, "--peer-key-file", pair.KeyFile, "--peer-trusted-ca-file", pki.CaFile, "--peer-client-cert-auth"];

    /// <summary>A serializable read on that member (its own store), retried until the write has been applied there.</summary>
    private static async Task<string?> SerializableGetAsync(NodeProcess member, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var get = await Etcdctl.RunAsync(member.Endpoint, "get", key, "--consistency=s", "--print-value-only");
            var value = get.ExitCode == 0 ? get.Stdout.Trim() : null;
            if (!string.IsNullOrEmpty(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }

    /// <summary>Anyone's Akka.NET on a free loopback port in plain text, with the peer protocol's protobuf.</summary>
    private sealed class PlainStranger(ActorSystem system) : IAsyncDisposable
    {
        public static PlainStranger Start() => new(ActorSystem.Create("stranger", ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.loglevel = WARNING
            akka.stdout-loglevel = OFF
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{FreePort.Next()}} }
            """).WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization))));

        /// <summary>The member's answer to PeerClusterQuery, or null when none came within <paramref name="within"/>.</summary>
        public async Task<PeerClusterInfo?> AskClusterAsync(int peerPort, TimeSpan within)
        {
            try
            {
                return await system.ActorSelection(PeerDirectory.RaftActorPath($"http://127.0.0.1:{peerPort}"))
                    .Ask<PeerClusterInfo>(new PeerClusterQuery(), within);
            }
            catch (AskTimeoutException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync() => await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
