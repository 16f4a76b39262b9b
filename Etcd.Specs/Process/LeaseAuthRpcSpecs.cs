using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The Lease RPCs with auth on, at the gRPC level, side by side with etcd 3.4: which of them look at the token
/// (LeaseGrant and LeaseRevoke resolve it as every proposal does; LeaseKeepAlive and LeaseLeases never look at it),
/// and, apart, LeaseTimeToLive with keys as etcd 3.4.26 answers it (the fix for CVE-2023-32082, etcd-io/etcd#15656),
/// which the etcd 3.4.23 run here predates: its answers are printed, not compared.
/// </summary>
public sealed class LeaseAuthRpcSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private const long Shared = 0x7001; // attached to /a/1 (alice may read) and /b/1 (she may not)
    private const long Own = 0x7002;    // attached to /a/2 only

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Metadata Token(string t) => new() { { "token", t } };

    [Fact]
    public async Task Lease_rpcs_under_auth_are_what_etcd_answers_and_time_to_live_keys_need_read_permission()
    {
        var expected = await SessionAsync(fixture.Nodes.Etcd);
        var actual = await SessionAsync(fixture.Nodes.Ours);
        EtcdctlSessions.AssertSame(expected.Compared, actual.Compared, output);

        output.WriteLine("LeaseTimeToLive with keys (etcd 3.4.26+ rules; the etcd 3.4.23 here predates them):");
        for (var i = 0; i < actual.Fixed.Count; i++)
            output.WriteLine($"{actual.Fixed[i].Item1}\n  etcd 3.4.23: {expected.Fixed[i].Item2}\n  ours: {actual.Fixed[i].Item2}");
        Assert.Equal(
        [
            ("alice: keys of a lease with a key she may not read", "PermissionDenied: etcdserver: permission denied"),
            ("no token: keys", "InvalidArgument: etcdserver: user name is empty"),
            ("no token: keys of an unknown lease", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: keys", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: keys of a lease with only her keys", "ok ttl=True keys=/a/2"),
            ("root: keys", "ok ttl=True keys=/a/1,/b/1"),
        ], actual.Fixed);
    }

    private static async Task<(List<(string, string)> Compared, List<(string, string)> Fixed)> SessionAsync(NodeProcess node)
    {
        async Task Ctl(params string[] args) => (await Etcdctl.RunAsync(node.Endpoint, args)).EnsureSuccess();
        await Ctl("user", "add", "root", "--new-user-password=rootpw", "--interactive=false");
        await Ctl("user", "add", "alice", "--new-user-password=apw", "--interactive=false");
        await Ctl("role", "add", "r1");
        await Ctl("role", "grant-permission", "r1", "readwrite", "/a/", "--prefix");
        await Ctl("user", "grant-role", "alice", "r1");
        await Ctl("auth", "enable");

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var lease = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel);
        var auth = new Etcd.Api.Etcdserverpb.Auth.AuthClient(channel);
        var root = (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "rootpw" })).Token;
        var alice = (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "alice", Password = "apw" })).Token;
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = Shared, TTL = 600 }, Token(root));
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = Own, TTL = 600 }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v"), Lease = Shared }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/b/1"), Value = B("v"), Lease = Shared }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/a/2"), Value = B("v"), Lease = Own }, Token(alice));

        var compared = new List<(string, string)>();
        var fixedSteps = new List<(string, string)>();
        async Task Step(List<(string, string)> into, string name, Func<Task<string>> call)
        {
            string result;
            try { result = "ok " + await call(); }
            catch (RpcException e) { result = $"{e.StatusCode}: {e.Status.Detail}"; }
            into.Add((name, result));
        }
        Task Compare(string name, Func<Task<string>> call) => Step(compared, name, call);
        async Task<string> Grant(long id, Metadata? md) => (await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = 600 }, md)).ID.ToString();
        async Task<string> KeepAlive(long id, Metadata? md)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var call = lease.LeaseKeepAlive(md, cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            return $"ttl={call.ResponseStream.Current.TTL > 0}";
        }
        async Task<string> TimeToLive(long id, bool keys, Metadata? md)
        {
            var r = await lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = keys }, md);
            return $"ttl={r.TTL > 0} keys={string.Join(',', r.Keys.Select(k => k.ToStringUtf8()).Order(StringComparer.Ordinal))}";
        }

        await Compare("grant without a token", () => Grant(0x7101, null));
        await Compare("grant with a forged token", () => Grant(0x7102, Token("abcdefghijklmnop.1")));
        await Compare("grant with a malformed token", () => Grant(0x7103, Token("garbage")));
        await Compare("grant as alice", () => Grant(0x7104, Token(alice)));
        await Compare("keep-alive without a token", () => KeepAlive(Shared, null));
        await Compare("keep-alive with a forged token", () => KeepAlive(Shared, Token("abcdefghijklmnop.1")));
        await Compare("leases without a token", async () => (await lease.LeaseLeasesAsync(new LeaseLeasesRequest())).Leases.Count.ToString());
        await Compare("leases with a forged token", async () =>
            (await lease.LeaseLeasesAsync(new LeaseLeasesRequest(), Token("abcdefghijklmnop.1"))).Leases.Count.ToString());
        await Compare("time-to-live, no keys, without a token", () => TimeToLive(Shared, false, null));
        await Compare("time-to-live, no keys, forged token", () => TimeToLive(Shared, false, Token("abcdefghijklmnop.1")));
        await Compare("time-to-live, keys of an unknown lease, alice", () => TimeToLive(0x7999, true, Token(alice)));
        await Compare("revoke with a forged token", async () =>
            (await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = 0x7101 }, Token("abcdefghijklmnop.1"))).Header.Revision > 0 ? "revoked" : "?");
        await Compare("alice revokes a lease with a key she may not write", async () =>
            (await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = Shared }, Token(alice))).Header.Revision > 0 ? "revoked" : "?");

        Task Fixed(string name, Func<Task<string>> call) => Step(fixedSteps, name, call);
        await Fixed("alice: keys of a lease with a key she may not read", () => TimeToLive(Shared, true, Token(alice)));
        await Fixed("no token: keys", () => TimeToLive(Shared, true, null));
        await Fixed("no token: keys of an unknown lease", () => TimeToLive(0x7999, true, null));
        await Fixed("forged token: keys", () => TimeToLive(Shared, true, Token("abcdefghijklmnop.1")));
        await Fixed("alice: keys of a lease with only her keys", () => TimeToLive(Own, true, Token(alice)));
        await Fixed("root: keys", () => TimeToLive(Shared, true, Token(root)));
        return (compared, fixedSteps);
    }
}
