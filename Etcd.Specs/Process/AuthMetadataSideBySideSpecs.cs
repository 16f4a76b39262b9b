using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Where the token is read from, side by side with etcd 3.4: gRPC metadata <c>token</c>, and without it
/// <c>authorization</c> (etcd's AuthInfoFromCtx reads rpctypes.TokenFieldNameGRPC, then TokenFieldNameSwagger, and takes
/// the first value as it is: no "Bearer " prefix is stripped). Unchanged in etcd since 3.4.23, so every step is compared.
/// </summary>
public sealed class AuthMetadataSideBySideSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task The_token_is_read_from_token_then_authorization_as_etcd_does()
    {
        var expected = await SessionAsync(fixture.Nodes.Etcd);
        var actual = await SessionAsync(fixture.Nodes.Ours);
        EtcdctlSessions.AssertSame(expected, actual, output);
        Assert.Equal(
        [
            ("get with authorization: alice", "ok v"),
            ("get with authorization: root", "ok v"),
            ("put outside her permission with authorization: alice", "PermissionDenied: etcdserver: permission denied"),
            ("token: forged, authorization: alice", "Unauthenticated: etcdserver: invalid auth token"),
            ("token: alice, authorization: forged", "ok v"),
            ("authorization: Bearer alice", "Unauthenticated: etcdserver: invalid auth token"),
            ("authorization: empty", "Unauthenticated: etcdserver: invalid auth token"),
            ("authorization twice: alice, then forged", "Unauthenticated: etcdserver: invalid auth token"),
            ("authorization twice: forged, then alice", "Unauthenticated: etcdserver: invalid auth token"),
            ("token twice: alice, then forged", "Unauthenticated: etcdserver: invalid auth token"),
            ("no token, no authorization", "InvalidArgument: etcdserver: user name is empty"),
            ("leases with authorization: root", "ok 0"),
        ], actual);
    }

    private static async Task<List<(string, string)>> SessionAsync(NodeProcess node)
    {
        await AuthSetup.EnableWithAliceAsync(node.Endpoint, ["readwrite", "/a/", "--prefix"]);
        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var lease = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel);
        var root = await AuthSetup.LoginAsync(channel, "root", AuthSetup.RootPassword);
        var alice = await AuthSetup.LoginAsync(channel, "alice", AuthSetup.AlicePassword);
        await kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }, AuthSetup.Token(alice));
        const string forged = "abcdefghijklmnop.1";

        static Metadata Md(params (string Key, string Value)[] entries)
        {
            var md = new Metadata();
            foreach (var (key, value) in entries) md.Add(key, value);
            return md;
        }
        var steps = new RpcSteps();
        Task Step(string name, Metadata md) =>
            steps.Same(name, async () => (await kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, md)).Kvs[0].Value.ToStringUtf8());

        await Step("get with authorization: alice", Md(("authorization", alice)));
        await Step("get with authorization: root", Md(("authorization", root)));
        await steps.Same("put outside her permission with authorization: alice", async () =>
            (await kv.PutAsync(new PutRequest { Key = B("/b/1"), Value = B("v") }, Md(("authorization", alice)))).Header.Revision.ToString());
        await Step("token: forged, authorization: alice", Md(("token", forged), ("authorization", alice)));
        await Step("token: alice, authorization: forged", Md(("token", alice), ("authorization", forged)));
        await Step("authorization: Bearer alice", Md(("authorization", "Bearer " + alice)));
        await Step("authorization: empty", Md(("authorization", "")));
        await Step("authorization twice: alice, then forged", Md(("authorization", alice), ("authorization", forged)));
        await Step("authorization twice: forged, then alice", Md(("authorization", forged), ("authorization", alice)));
        await Step("token twice: alice, then forged", Md(("token", alice), ("token", forged)));
        await Step("no token, no authorization", Md());
        await steps.Same("leases with authorization: root", async () =>
            (await lease.LeaseLeasesAsync(new LeaseLeasesRequest(), Md(("authorization", root)))).Leases.Count.ToString());
        return steps.Compared;
    }
}
