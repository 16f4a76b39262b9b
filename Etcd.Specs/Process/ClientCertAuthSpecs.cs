using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// <c>--client-cert-auth</c> with auth on: a request with no token over a TLS connection whose verified client certificate
/// has a CN is that user (etcd 3.4's AuthInfoFromTLS), side by side with etcd 3.4 on the same throw-away CA: etcdctl with
/// <c>--cert/--key/--cacert</c> and no <c>--user</c> is allowed or denied by the CN's roles, a token wins over the
/// certificate, a CN that names no user is refused; and a client cannot pose as a certificate through the token.
/// </summary>
public sealed class ClientCertAuthSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_client_certificates_common_name_is_the_user_as_in_etcd()
    {
        using var dir = new TempDir("etcd-cn-auth");
        var pki = new TestCertificates(dir.Sub("pki"));
        var alice = pki.IssueClient("alice", "alice", 2001);
        var root = pki.IssueClient("root", "root", 2002);
        string[] tls = ["--cert-file", pki.Server.CertFile, "--key-file", pki.Server.KeyFile, "--trusted-ca-file", pki.CaFile, "--client-cert-auth"];
        await using var ours = new NodeProcess(dir.Sub("ours"), extraArgs: tls) { ClientScheme = "https" };
        await using var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), tls);
        etcd.ClientScheme = "https";
        await Task.WhenAll(ours.StartAsync(), etcd.StartAsync());

        async Task<List<(string, string)>> Session(NodeProcess node)
        {
            var steps = new List<(string, string)>();
            async Task Ctl(TestCertificates.Pair who, params string[] args) =>
                (await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(who), .. args])).EnsureSuccess();
            async Task Step(string name, TestCertificates.Pair who, params string[] args)
            {
                var r = await Etcdctl.RunAsync(node.Endpoint, [.. pki.EtcdctlFlags(who), .. args]);
                var errors = string.Join('\n', r.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
                steps.Add(($"{name}: etcdctl {string.Join(' ', args)}", $"exit={r.ExitCode} out=[{r.Stdout.TrimEnd()}] err=[{errors}]"));
            }
            await Ctl(pki.Client, "user", "add", "root", "--new-user-password=rootpw", "--interactive=false");
            await Ctl(pki.Client, "user", "grant-role", "root", "root");
            await Ctl(pki.Client, "user", "add", "alice", "--new-user-password=apw", "--interactive=false");
            await Ctl(pki.Client, "role", "add", "r");
            await Ctl(pki.Client, "role", "grant-permission", "r", "readwrite", "/a/", "--prefix");
            await Ctl(pki.Client, "user", "grant-role", "alice", "r");
            await Ctl(pki.Client, "auth", "enable");

            await Step("CN=alice", alice, "put", "/a/1", "by-certificate");
            await Step("CN=alice", alice, "get", "/a/1", "--print-value-only");
            await Step("CN=alice", alice, "put", "k", "denied");
            await Step("CN=alice", alice, "get", "k");
            await Step("CN=alice", alice, "user", "list");
            await Step("CN=root", root, "put", "k", "by-root");
            await Step("CN=root", root, "user", "list");
            await Step("CN=client, no such user", pki.Client, "put", "/a/2", "nobody");
            await Step("CN=client, no such user", pki.Client, "get", "/a/1");
            await Step("CN=alice with root's password", alice, "--user=root:rootpw", "put", "k", "token-wins");
            await Step("CN=root with alice's password", root, "--user=alice:apw", "put", "k", "token-wins");
            await Step("CN=root with a wrong password", root, "--user=root:wrong", "put", "k", "no");
            await Step("CN=root", root, "get", "", "--from-key");
            return steps;
        }

        var expected = await Session(etcd);
        var actual = await Session(ours);
        EtcdctlSessions.AssertSame(expected, actual, output);
        Assert.Equal("exit=0 out=[OK] err=[]", actual[0].Item2);
        Assert.Contains("permission denied", actual[2].Item2);

        // The token field cannot carry a certificate credential: alice posing as root that way gets nothing.
        using var channel = MutualTlsChannel(ours.Endpoint, pki, alice);
        var kv = new KV.KVClient(channel);
        string outcome;
        try
        {
            await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("posing") },
                new Metadata { { "token", "\u0001cn:root" } });
            outcome = "put";
        }
        catch (RpcException e)
        {
            outcome = $"{e.StatusCode}: {e.Status.Detail}";
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or HttpRequestException)
        {
            outcome = "the client refused to send it: " + e.Message;
        }
        output.WriteLine($"alice posing as root through the token: {outcome}");
        Assert.NotEqual("put", outcome);
        var k = (await Etcdctl.RunAsync(ours.Endpoint, [.. pki.EtcdctlFlags(root), "get", "k", "--print-value-only"])).EnsureSuccess().Stdout.Trim();
        Assert.Equal("token-wins", k);
    }

    /// <summary>A gRPC channel over TLS presenting <paramref name="who"/>'s certificate and trusting only the spec's CA.</summary>
    private static GrpcChannel MutualTlsChannel(string endpoint, TestCertificates pki, TestCertificates.Pair who)
    {
        var certificate = X509Certificate2.CreateFromPemFile(who.CertFile, who.KeyFile);
        var ca = X509CertificateLoader.LoadCertificateFromFile(pki.CaFile);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, served, _, _) =>
                {
                    if (served is null) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(served));
                },
            },
        };
        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }
}
