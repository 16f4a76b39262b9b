using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Etcd.Actors.Auth;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Auth;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// <c>--auth-token jwt,...</c> on a real Etcd.Node, side by side with etcd 3.4 started with the same key files: etcdctl
/// <c>--user</c> works and a limited user is denied, the token Authenticate hands out is a JWT with etcd's claims, forged
/// tokens are refused with "invalid auth token" and change nothing, a token from before an auth change is "old", a member
/// with only the public key refuses to sign but accepts a token signed elsewhere, and bad options stop both alike.
/// </summary>
public sealed class JwtProcessSpecs(ITestOutputHelper output)
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task Etcdctl_and_grpc_clients_see_what_etcd_answers_with_rs256_tokens()
    {
        using var dir = new TempDir("etcd-jwt-rs256");
        var keys = new JwtKeyFiles(dir.Sub("keys"));
        var option = $"jwt,pub-key={keys.RsaPublic},priv-key={keys.RsaPrivate},sign-method=RS256";
        await using var ours = new NodeProcess(dir.Sub("ours"), extraArgs: ["--auth-token", option]);
        await using var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), "--auth-token", option);
        await Task.WhenAll(ours.StartAsync(), etcd.StartAsync());

        var expected = await SessionAsync(etcd);
        var actual = await SessionAsync(ours);
        EtcdctlSessions.AssertSame(expected, actual, output);
    }

    [Fact]
    public async Task A_member_with_only_the_public_key_refuses_to_log_in_but_serves_a_token_signed_elsewhere()
    {
        using var dir = new TempDir("etcd-jwt-verify-only");
        var keys = new JwtKeyFiles(dir.Sub("keys"));
        var option = $"jwt,pub-key={keys.RsaPublic},sign-method=RS256";
        await using var ours = new NodeProcess(dir.Sub("ours"), extraArgs: ["--auth-token", option]);
        await using var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), "--auth-token", option);
        await Task.WhenAll(ours.StartAsync(), etcd.StartAsync());
        // The issuer: the private key, outside the cluster, at the auth revision the three steps below leave (a fresh store
        // is at 1, user add and grant-role raise it, auth enable does not): etcd's reads want exactly the current one.
        var issuer = AuthTokenSetup.Create($"jwt,priv-key={keys.RsaPrivate},sign-method=RS256", _ => { })!;
        var token = issuer.Sign("root", 3);

        async Task<List<(string, string)>> Session(NodeProcess node)
        {
            var steps = new List<(string, string)>();
            async Task Ctl(params string[] args) => (await Etcdctl.RunAsync(node.Endpoint, args)).EnsureSuccess();
            await Ctl("user", "add", "root", "--new-user-password=pw", "--interactive=false");
            await Ctl("user", "grant-role", "root", "root");
            await Ctl("auth", "enable");
            steps.Add(("etcdctl --user root:pw put k v", Show(await Etcdctl.RunAsync(node.Endpoint, "--user=root:pw", "put", "k", "v"))));
            steps.Add(("etcdctl --user root:wrong put k v", Show(await Etcdctl.RunAsync(node.Endpoint, "--user=root:wrong", "put", "k", "v"))));
            using var channel = GrpcChannel.ForAddress(node.Endpoint);
            var kv = new KV.KVClient(channel);
            steps.Add(("put with a token signed by the issuer", await Rpc(async () =>
                (await kv.PutAsync(new PutRequest { Key = B("k"), Value = B("signed elsewhere") }, Token(token))).Header.Revision > 0 ? "put" : "?")));
            steps.Add(("range with it", await Rpc(async () =>
                (await kv.RangeAsync(new RangeRequest { Key = B("k") }, Token(token))).Kvs.Single().Value.ToStringUtf8())));
            // A token at an auth revision the member has not reached (a JWT from a member further ahead): etcd's reads refuse it
            // after reading (doSerialize: the token's revision != the store's), its writes take it (isOpPermitted: only older is old).
            var ahead = issuer.Sign("root", 99);
            steps.Add(("range with a token from auth revision 99", await Rpc(async () =>
                (await kv.RangeAsync(new RangeRequest { Key = B("k") }, Token(ahead))).Count.ToString())));
            steps.Add(("serializable range with it", await Rpc(async () =>
                (await kv.RangeAsync(new RangeRequest { Key = B("k"), Serializable = true }, Token(ahead))).Count.ToString())));
            steps.Add(("read-only txn with it", await Rpc(async () =>
            {
                var txn = new TxnRequest();
                txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = B("k") } });
                return (await kv.TxnAsync(txn, Token(ahead))).Responses.Single().ResponseRange.Count.ToString();
            })));
            steps.Add(("put with it", await Rpc(async () =>
                (await kv.PutAsync(new PutRequest { Key = B("k"), Value = B("ahead") }, Token(ahead))).Header.Revision > 0 ? "put" : "?")));
            return steps;
        }

        var expected = await Session(etcd);
        var actual = await Session(ours);
        EtcdctlSessions.AssertSame(expected, actual, output);
        Assert.Contains("auth: token signing attempted with verify-only key", actual[0].Item2);
        Assert.Equal("ok signed elsewhere", actual[3].Item2);
    }

    [Theory]
    [InlineData("jwt,sign-method=RS256", "C | etcdmain: auth: missing key data")]
    [InlineData("jwt,pub-key={dir}/nope,sign-method=RS256", "E | auth: problem loading JWT options: open {dir}/nope: no such file or directory")]
    [InlineData("jwt,priv-key={dir}/nope,sign-method=RS256", "C | etcdmain: auth: invalid auth options")]
    [InlineData("jwt,sign-method=bogus", "W | etcdserver: failed to create token provider,err is auth: invalid auth options")]
    [InlineData("bogus", "E | auth: unknown token type: bogus")]
    public async Task Bad_jwt_options_stop_the_member_with_the_lines_etcd_prints(string option, string line)
    {
        using var dir = new TempDir("etcd-jwt-refused");
        option = option.Replace("{dir}", dir.Path);
        line = line.Replace("{dir}", dir.Path);
        await using var ours = new NodeProcess(dir.Sub("ours"), extraArgs: ["--auth-token", option]);
        await using var etcd = NodeProcess.ReferenceMember(dir.Sub("etcd"), "default", FreePort.Next(), "--auth-token", option);
        foreach (var node in new[] { etcd, ours })
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => node.StartAsync());
            output.WriteLine(failure.Message);
            Assert.Equal(1, await node.Exited);
            Assert.Contains(line, failure.Message);
        }
    }

    private static async Task<List<(string, string)>> SessionAsync(NodeProcess node)
    {
        var steps = new List<(string, string)>();
        async Task Ctl(params string[] args) => (await Etcdctl.RunAsync(node.Endpoint, args)).EnsureSuccess();
        async Task Step(params string[] args) => steps.Add(("etcdctl " + string.Join(' ', args), Show(await Etcdctl.RunAsync(node.Endpoint, args))));
        await Ctl("user", "add", "root", "--new-user-password=rootpw", "--interactive=false");
        await Ctl("user", "grant-role", "root", "root");
        await Ctl("user", "add", "bob", "--new-user-password=bpw", "--interactive=false");
        await Ctl("role", "add", "r");
        await Ctl("role", "grant-permission", "r", "readwrite", "/a/", "--prefix");
        await Ctl("user", "grant-role", "bob", "r");
        await Ctl("auth", "enable");
        await Step("--user=root:rootpw", "put", "k", "v");
        await Step("--user=root:rootpw", "get", "k");
        await Step("--user=bob:bpw", "put", "/a/1", "x");
        await Step("--user=bob:bpw", "get", "/a/1", "--print-value-only");
        await Step("--user=bob:bpw", "put", "k", "bob");
        await Step("--user=bob:wrong", "get", "/a/1");
        await Step("--user=nobody:bpw", "get", "/a/1");
        await Step("get", "k");

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var auth = new Etcd.Api.Etcdserverpb.Auth.AuthClient(channel);
        var token = (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "bob", Password = "bpw" })).Token;
        // The token's remaining lifetime is judged from when it was issued, not after the calls below: on a loaded box
        // a root login (bcrypt) and three writes could take a good part of the 10 s the check allows.
        var issued = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var rootToken = (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "rootpw" })).Token;
        var lease = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel);
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = 0x7501, TTL = 600 }, Token(rootToken));
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = 0x7502, TTL = 600 }, Token(rootToken));
        await kv.PutAsync(new PutRequest { Key = B("/l"), Value = B("leased"), Lease = 0x7501 }, Token(rootToken));
        var parts = token.Split('.');
        using (var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])))
        using (var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])))
        {
            var c = claims.RootElement;
            steps.Add(("the token Authenticate gives", $"alg={header.RootElement.GetProperty("alg")} claims=[{string.Join(' ', c.EnumerateObject().Select(p => p.Name).Order())}] " +
                $"username={c.GetProperty("username")} revision={c.GetProperty("revision")} ttl={c.GetProperty("exp").GetInt64() - issued is > 290 and <= 300}"));
        }
        async Task Put(string name, string t, string key) =>
            steps.Add((name, await Rpc(async () => (await kv.PutAsync(new PutRequest { Key = B(key), Value = B("forged") }, Token(t))).Header.Revision > 0 ? "put" : "?")));
        async Task Watch(string name, string t, long startRevision = 0)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var watch = new Etcd.Api.Etcdserverpb.Watch.WatchClient(channel).Watch(Token(t), cancellationToken: cts.Token);
            await watch.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = B("/a/"), RangeEnd = B("/a0"), StartRevision = startRevision, PrevKv = true },
            });
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            var r = watch.ResponseStream.Current;
            steps.Add((name, $"id={r.WatchId} created={r.Created} canceled={r.Canceled} events={r.Events.Count} reason=[{r.CancelReason}]"));
        }
        await Put("bob writes his prefix with the token", token, "/a/2");
        await Watch("bob watches his prefix with the token", token);
        var claimsJson = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        var asRoot = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claimsJson.Replace("\"bob\"", "\"root\"")));
        await Put("the token's username changed to root", $"{parts[0]}.{asRoot}.{parts[2]}", "k");
        var none = Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);
        await Put("alg none", $"{none}.{asRoot}.", "k");
        var sig = parts[2];
        await Put("signature changed", $"{parts[0]}.{parts[1]}.{sig[..20]}{(sig[20] == 'A' ? 'B' : 'A')}{sig[21..]}", "/a/3");
        await Put("not a JWT", "garbage", "k");
        // Any auth change after the token was made: the token's revision is old (etcd 3.4 JWT tokens carry it).
        await Ctl("--user=root:rootpw", "role", "add", "r2");
        await Put("bob's token after an auth change", token, "/a/4");
        // LeaseTimeToLive with keys compares the store's auth revision before and after its answer (etcd 3.4.26+'s
        // checkLeaseTimeToLive), not the token's: root's token from before the change still reads the keys (root skips the
        // per-key checks), and bob's on a lease without keys has nothing to be refused for. Admin-only calls check no
        // token revision either (etcd's IsAdminPermitted), nor does MemberList (3.4.43's requireAuthInfo).
        async Task Ttl(string name, string t, long id) => steps.Add((name, await Rpc(async () =>
        {
            var r = await lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = true }, Token(t));
            return $"ttl={r.TTL > 0} keys={string.Join(',', r.Keys.Select(k => k.ToStringUtf8()))}";
        })));
        await Ttl("root's token after an auth change: time-to-live with keys", rootToken, 0x7501);
        await Ttl("bob's token after an auth change: time-to-live with keys of a lease without keys", token, 0x7502);
        steps.Add(("root's token after an auth change: user list", await Rpc(async () =>
            string.Join(',', (await auth.UserListAsync(new AuthUserListRequest(), Token(rootToken))).Users))));
        steps.Add(("bob's token after an auth change: member list", await Rpc(async () =>
            (await new Etcd.Api.Etcdserverpb.Cluster.ClusterClient(channel).MemberListAsync(new MemberListRequest(), Token(token))).Members.Count.ToString())));
        // A watch is refused the same way (etcd's isWatchPermitted checks at the token's revision): an old token must not
        // open a watch, which with start_revision and prev_kv would replay history.
        await Watch("bob watches his prefix from revision 1 with the token after an auth change", token, startRevision: 1);
        await Step("--user=root:rootpw", "get", "", "--from-key");
        return steps;
    }

    private static Metadata Token(string t) => AuthSetup.Token(t);

    private static string Show(Etcdctl.Result r)
    {
        var errors = string.Join('\n', r.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        return $"exit={r.ExitCode} out=[{r.Stdout.TrimEnd()}] err=[{errors}]";
    }

    private static async Task<string> Rpc(Func<Task<string>> call)
    {
        try { return "ok " + await call(); }
        catch (RpcException e) { return $"{e.StatusCode}: {e.Status.Detail}"; }
    }
}
