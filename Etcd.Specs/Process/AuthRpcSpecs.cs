using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Auth at the gRPC level, side by side with etcd 3.4: what etcdctl cannot send (a forged or malformed token in the
/// <c>token</c> metadata), the status codes, and a watch on a range the user may not read, which etcd creates canceled.
/// </summary>
public sealed class AuthRpcSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task Tokens_status_codes_and_a_denied_watch_are_what_etcd_answers()
    {
        var expected = await SessionAsync(fixture.Nodes.Etcd);
        var actual = await SessionAsync(fixture.Nodes.Ours);
        EtcdctlSessions.AssertSame(expected, actual, output);
    }

    private static async Task<List<(string, string)>> SessionAsync(NodeProcess node)
    {
        await AuthSetup.EnableWithAliceAsync(node.Endpoint, ["read", "/a/", "--prefix"]);

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var auth = new Etcd.Api.Etcdserverpb.Auth.AuthClient(channel);
        var steps = new List<(string, string)>();
        async Task Step(string name, Func<Task<string>> call)
        {
            string result;
            try { result = "ok " + await call(); }
            catch (RpcException e) { result = $"{e.StatusCode}: {e.Status.Detail}"; }
            steps.Add((name, result));
        }
        static Metadata Token(string t) => AuthSetup.Token(t);

        await Step("range without a token", async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/1") })).Count.ToString());
        await Step("range with a forged token", async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, Token("abcdefghijklmnop.1"))).Count.ToString());
        // A token metadata entry with an empty value is a token, and no valid one (etcd's AuthInfoFromCtx takes md["token"][0]).
        await Step("range with an empty token", async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, Token(""))).Count.ToString());
        await Step("put with an empty token", async () => (await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }, Token(""))).Header.Revision > 0 ? "put" : "?");
        await Step("range with a malformed token", async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, Token("garbage"))).Count.ToString());
        await Step("put with a forged token", async () => (await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }, Token("abcdefghijklmnop.1"))).Header.Revision > 0 ? "put" : "?");
        await Step("authenticate with a wrong password", async () => (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "alice", Password = "bad" })).Token.Length > 0 ? "token" : "?");
        await Step("authenticate an unknown user", async () => (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "nobody", Password = "bad" })).Token.Length > 0 ? "token" : "?");
        var token = await AuthSetup.LoginAsync(channel, "alice", AuthSetup.AlicePassword);
        await Step("alice reads her prefix", async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/"), RangeEnd = B("/a0") }, Token(token))).Count.ToString());
        await Step("alice reads elsewhere", async () => (await kv.RangeAsync(new RangeRequest { Key = B("x") }, Token(token))).Count.ToString());
        await Step("alice writes her read-only prefix", async () => (await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }, Token(token))).Header.Revision > 0 ? "put" : "?");
        await Step("alice lists users", async () => (await auth.UserListAsync(new AuthUserListRequest(), Token(token))).Users.Count.ToString());

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = new Etcd.Api.Etcdserverpb.Watch.WatchClient(channel).Watch(Token(token), cancellationToken: cts.Token);
        async Task<string> Create(string key, string end)
        {
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B(key), RangeEnd = B(end) } });
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            var r = watch.ResponseStream.Current;
            return $"id={r.WatchId} created={r.Created} canceled={r.Canceled} reason=[{r.CancelReason}]";
        }
        await Step("alice watches elsewhere", () => Create("x", ""));
        await Step("alice watches her prefix", () => Create("/a/", "/a0"));
        await Step("alice watches everything", () => Create("\0", "\0"));
        // The cancel reason is the refusal's own rpc error (etcd 3.4.23's watch.go), not always "permission denied".
        async Task<string> CreateWith(Metadata? headers)
        {
            using var other = new Etcd.Api.Etcdserverpb.Watch.WatchClient(channel).Watch(headers, cancellationToken: cts.Token);
            await other.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("/a/"), RangeEnd = B("/a0") } });
            Assert.True(await other.ResponseStream.MoveNext(cts.Token));
            var r = other.ResponseStream.Current;
            return $"id={r.WatchId} created={r.Created} canceled={r.Canceled} reason=[{r.CancelReason}]";
        }
        await Step("a watch without a token", () => CreateWith(null));
        await Step("a watch with a forged token", () => CreateWith(Token("abcdefghijklmnop.1")));
        await Step("a watch with a malformed token", () => CreateWith(Token("garbage")));
        return steps;
    }
}
