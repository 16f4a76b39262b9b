using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The Lease RPCs with auth on, at the gRPC level, side by side with etcd 3.4. Compared with the etcd 3.4.23 run here:
/// what it already answered as fixed releases do (a bad token on LeaseGrant/LeaseRevoke, a lease revoke the user may
/// not make). Apart, asserted on ours and printed for etcd 3.4.23, which predates both fixes: LeaseTimeToLive with keys
/// as etcd 3.4.26 answers it (CVE-2023-32082, etcd-io/etcd#15656), and every Lease RPC as etcd 3.4.42 answers it
/// (GHSA-q8m4-xhhv-38mg / CVE-2026-33413, etcd-io/etcd commit 81fcc3f): a user for LeaseGrant, LeaseRevoke and
/// LeaseTimeToLive, root or WRITE on every attached key for LeaseKeepAlive, root or READ on every leased key for
/// LeaseLeases. etcd 3.4.23 answers all of them to anyone.
/// </summary>
public sealed class LeaseAuthRpcSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private const long Shared = 0x7001; // attached to /a/1 (alice may read and write) and /b/1 (she may not)
    private const long Own = 0x7002;    // attached to /a/2 only

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Metadata Token(string t) => AuthSetup.Token(t);

    [Fact]
    public async Task Lease_rpcs_under_auth_are_what_etcd_answers_and_what_its_2023_and_2026_fixes_answer()
    {
        var expected = await SessionAsync(fixture.Nodes.Etcd);
        var actual = await SessionAsync(fixture.Nodes.Ours);
        EtcdctlSessions.AssertSame(expected.Compared, actual.Compared, output);

        RpcSteps.PrintFixes(output, "etcd 3.4.26+ and 3.4.42+ rules (the etcd 3.4.23 here predates them):", expected.Fixed, actual.Fixed);
        Assert.Equal(
        [
            ("alice: keys of a lease with a key she may not read", "PermissionDenied: etcdserver: permission denied"),
            ("no token: keys", "InvalidArgument: etcdserver: user name is empty"),
            ("no token: keys of an unknown lease", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: keys", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: keys of a lease with only her keys", "ok ttl=True keys=/a/2"),
            ("root: keys", "ok ttl=True keys=/a/1,/b/1"),
            ("no token: time-to-live without keys", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: time-to-live without keys", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: time-to-live without keys of a lease with a key she may not read", "ok ttl=True keys="),
            ("no token: grant", "InvalidArgument: etcdserver: user name is empty"),
            ("no token: revoke", "InvalidArgument: etcdserver: user name is empty"),
            ("no token: keep-alive", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: keep-alive", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: keep-alive of a lease with a key she may not write", "PermissionDenied: etcdserver: permission denied"),
            ("alice: keep-alive of a lease with only her keys", "ok ttl=True"),
            ("alice: keep-alive of an unknown lease", "ok ttl=False"),
            ("root: keep-alive of any lease", "ok ttl=True"),
            ("no token: leases", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: leases", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: leases, one with a key she may not read", "PermissionDenied: etcdserver: permission denied"),
            ("root: leases", "ok 3"),
            ("root revokes the lease with a key alice may not read", "ok revoked"),
            ("alice: leases, every leased key hers", "ok 2"),
        ], actual.Fixed);
    }

    private static async Task<(List<(string, string)> Compared, List<(string, string)> Fixed)> SessionAsync(NodeProcess node)
    {
        await AuthSetup.EnableWithAliceAsync(node.Endpoint, ["readwrite", "/a/", "--prefix"]);

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var lease = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel);
        var root = await AuthSetup.LoginAsync(channel, "root", AuthSetup.RootPassword);
        var alice = await AuthSetup.LoginAsync(channel, "alice", AuthSetup.AlicePassword);
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = Shared, TTL = 600 }, Token(root));
        await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = Own, TTL = 600 }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v"), Lease = Shared }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/b/1"), Value = B("v"), Lease = Shared }, Token(root));
        await kv.PutAsync(new PutRequest { Key = B("/a/2"), Value = B("v"), Lease = Own }, Token(alice));

        var steps = new RpcSteps();
        Task Compare(string name, Func<Task<string>> call) => steps.Same(name, call);
        async Task<string> Grant(long id, Metadata? md) => (await lease.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = 600 }, md)).ID.ToString();
        async Task<string> Revoke(long id, Metadata? md) =>
            (await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, md)).Header.Revision > 0 ? "revoked" : "?";
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
        async Task<string> Leases(Metadata? md) => (await lease.LeaseLeasesAsync(new LeaseLeasesRequest(), md)).Leases.Count.ToString();
        var forged = Token("abcdefghijklmnop.1");

        await Compare("grant with a forged token", () => Grant(0x7102, forged));
        await Compare("grant with a malformed token", () => Grant(0x7103, Token("garbage")));
        await Compare("grant as alice", () => Grant(0x7104, Token(alice)));
        await Compare("time-to-live, keys of an unknown lease, alice", () => TimeToLive(0x7999, true, Token(alice)));
        await Compare("revoke with a forged token", () => Revoke(0x7104, forged));
        await Compare("alice revokes a lease with a key she may not write", () => Revoke(Shared, Token(alice)));

        Task Fixed(string name, Func<Task<string>> call) => steps.Fix(name, call);
        await Fixed("alice: keys of a lease with a key she may not read", () => TimeToLive(Shared, true, Token(alice)));
        await Fixed("no token: keys", () => TimeToLive(Shared, true, null));
        await Fixed("no token: keys of an unknown lease", () => TimeToLive(0x7999, true, null));
        await Fixed("forged token: keys", () => TimeToLive(Shared, true, forged));
        await Fixed("alice: keys of a lease with only her keys", () => TimeToLive(Own, true, Token(alice)));
        await Fixed("root: keys", () => TimeToLive(Shared, true, Token(root)));
        await Fixed("no token: time-to-live without keys", () => TimeToLive(Shared, false, null));
        await Fixed("forged token: time-to-live without keys", () => TimeToLive(Shared, false, forged));
        await Fixed("alice: time-to-live without keys of a lease with a key she may not read", () => TimeToLive(Shared, false, Token(alice)));
        await Fixed("no token: grant", () => Grant(0x7101, null));
        await Fixed("no token: revoke", () => Revoke(0x7104, null));
        await Fixed("no token: keep-alive", () => KeepAlive(Shared, null));
        await Fixed("forged token: keep-alive", () => KeepAlive(Shared, forged));
        await Fixed("alice: keep-alive of a lease with a key she may not write", () => KeepAlive(Shared, Token(alice)));
        await Fixed("alice: keep-alive of a lease with only her keys", () => KeepAlive(Own, Token(alice)));
        await Fixed("alice: keep-alive of an unknown lease", () => KeepAlive(0x7999, Token(alice)));
        await Fixed("root: keep-alive of any lease", () => KeepAlive(Shared, Token(root)));
        await Fixed("no token: leases", () => Leases(null));
        await Fixed("forged token: leases", () => Leases(forged));
        await Fixed("alice: leases, one with a key she may not read", () => Leases(Token(alice)));
        await Fixed("root: leases", () => Leases(Token(root)));
        await Fixed("root revokes the lease with a key alice may not read", () => Revoke(Shared, Token(root)));
        await Fixed("alice: leases, every leased key hers", () => Leases(Token(alice)));
        return (steps.Compared, steps.Fixed);
    }
}
