using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// etcd's 2026 auth advisories, at the gRPC level, side by side with etcd 3.4.23. What 3.4.23 already answered as the
/// fixed releases do is compared; what it predates is asserted on ours and 3.4.23's answer printed next to it:
/// <list type="bullet">
/// <item>GHSA-q8m4-xhhv-38mg / CVE-2026-33413 (3.4.42, etcd-io/etcd commit 81fcc3f; MemberList and Alarm GET relaxed to
/// any user in 3.4.43, commit 084077d): Compact, Status, MoveLeader and Alarm ACTIVATE/DEACTIVATE are root's; MemberList
/// and Alarm GET need a user. (The Lease RPCs: <see cref="LeaseAuthRpcSpecs"/>.)</item>
/// <item>GHSA-rfx7-8w68-q57q (3.4.42, commit 012f444): a nested txn's compares and ops are checked like the outer ones.</item>
/// <item>GHSA-x35m-3gp4-4fh5 (3.4.44, etcd-io/etcd#21688): a Put inside a txn is checked as a top-level one, READ with
/// prev_kv and WRITE on every key already attached to its lease.</item>
/// <item>GHSA-xg4h-6gfc-h4m8 (etcd-io/etcd commit e863b00 on release-3.5, none on release-3.4 yet): a watch from a key
/// (range_end "\0") needs READ on every key from there, not just the one.</item>
/// </list>
/// </summary>
public sealed class AuthAdvisorySpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private const long Foreign = 0x7301; // a lease attached to /b/1, which alice may not write

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Metadata Token(string t) => AuthSetup.Token(t);

    [Fact]
    public async Task Maintenance_compaction_membership_nested_txns_txn_puts_and_from_key_watches_are_checked_as_etcds_fixes_check_them()
    {
        var expected = await SessionAsync(fixture.Nodes.Etcd);
        var actual = await SessionAsync(fixture.Nodes.Ours);
        EtcdctlSessions.AssertSame(expected.Compared, actual.Compared, output);

        RpcSteps.PrintFixes(output, "The 2026 advisories' fixes (the etcd 3.4.23 here predates them):", expected.Fixed, actual.Fixed);
        Assert.Equal(
        [
            ("no token: compact", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: compact", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: compact", "PermissionDenied: etcdserver: permission denied"),
            ("root: compact", "ok compacted"),
            ("no token: status", "InvalidArgument: etcdserver: user name is empty"),
            ("alice: status", "PermissionDenied: etcdserver: permission denied"),
            ("no token: move-leader", "InvalidArgument: etcdserver: user name is empty"),
            ("alice: move-leader", "PermissionDenied: etcdserver: permission denied"),
            ("no token: alarm list", "InvalidArgument: etcdserver: user name is empty"),
            ("alice: alarm deactivate", "PermissionDenied: etcdserver: permission denied"),
            ("no token: member list", "InvalidArgument: etcdserver: user name is empty"),
            ("forged token: member list", "Unauthenticated: etcdserver: invalid auth token"),
            ("alice: a nested txn puts outside her prefix", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a nested txn compares outside her prefix", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a read-only nested txn reads outside her prefix", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a txn put with prev_kv on a key she may only write", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a txn put with a lease attached to a key she may not write", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a nested txn put with prev_kv on a key she may only write", "PermissionDenied: etcdserver: permission denied"),
            ("alice: a watch from the one key she may read", "ok id=-1 created=True canceled=True reason=[rpc error: code = PermissionDenied desc = etcdserver: permission denied]"),
            ("untouched: /b/1, /b/2, /a/5, /a/9", "ok v,-,-,-"),
        ], actual.Fixed);
    }

    private static async Task<(List<(string, string)> Compared, List<(string, string)> Fixed)> SessionAsync(NodeProcess node)
    {
        await AuthSetup.EnableWithAliceAsync(node.Endpoint, ["readwrite", "/a/", "--prefix"], ["write", "/w/", "--prefix"], ["read", "k"]);

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var maintenance = new Maintenance.MaintenanceClient(channel);
        var cluster = new Etcd.Api.Etcdserverpb.Cluster.ClusterClient(channel);
        var root = Token(await AuthSetup.LoginAsync(channel, "root", AuthSetup.RootPassword));
        var alice = Token(await AuthSetup.LoginAsync(channel, "alice", AuthSetup.AlicePassword));
        var forged = Token("abcdefghijklmnop.1");
        await new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel).LeaseGrantAsync(new LeaseGrantRequest { ID = Foreign, TTL = 600 }, root);
        foreach (var (key, lease) in new[] { ("/b/1", Foreign), ("/w/1", 0L), ("/a/1", 0L), ("k", 0L), ("l", 0L) })
            await kv.PutAsync(new PutRequest { Key = B(key), Value = B("v"), Lease = lease }, root);

        var steps = new RpcSteps();
        Task Same(string name, Func<Task<string>> call) => steps.Same(name, call);
        Task Fixed(string name, Func<Task<string>> call) => steps.Fix(name, call);

        // CVE-2026-33413: compaction, maintenance and membership.
        async Task<string> Compact(Metadata? md) => (await kv.CompactAsync(new CompactionRequest { Revision = 1 }, md)).Header.Revision > 0 ? "compacted" : "?";
        async Task<string> Status(Metadata? md) => (await maintenance.StatusAsync(new StatusRequest(), md)).Version.Length > 0 ? "status" : "?";
        async Task<string> MoveLeader(Metadata? md) => (await maintenance.MoveLeaderAsync(new MoveLeaderRequest { TargetID = 0x1234 }, md)) is not null ? "moved" : "?";
        async Task<string> Alarm(AlarmRequest.Types.AlarmAction action, Metadata? md) =>
            (await maintenance.AlarmAsync(new AlarmRequest { Action = action, Alarm = AlarmType.Nospace }, md)).Alarms.Count.ToString();
        async Task<string> Members(Metadata? md) => (await cluster.MemberListAsync(new MemberListRequest(), md)).Members.Count.ToString();
        await Fixed("no token: compact", () => Compact(null));
        await Fixed("forged token: compact", () => Compact(forged));
        await Fixed("alice: compact", () => Compact(alice));
        await Fixed("root: compact", () => Compact(root));
        await Fixed("no token: status", () => Status(null));
        await Fixed("alice: status", () => Status(alice));
        await Same("root: status", () => Status(root));
        await Fixed("no token: move-leader", () => MoveLeader(null));
        await Fixed("alice: move-leader", () => MoveLeader(alice));
        await Fixed("no token: alarm list", () => Alarm(AlarmRequest.Types.AlarmAction.Get, null));
        await Same("alice: alarm list", () => Alarm(AlarmRequest.Types.AlarmAction.Get, alice));
        await Fixed("alice: alarm deactivate", () => Alarm(AlarmRequest.Types.AlarmAction.Deactivate, alice));
        await Same("root: alarm deactivate", () => Alarm(AlarmRequest.Types.AlarmAction.Deactivate, root));
        await Fixed("no token: member list", () => Members(null));
        await Fixed("forged token: member list", () => Members(forged));
        await Same("alice: member list", () => Members(alice));

        // GHSA-rfx7-8w68-q57q: nested txns. GHSA-x35m-3gp4-4fh5: prev_kv and leases on puts inside a txn.
        async Task<string> Txn(TxnRequest txn, Metadata? md)
        {
            var r = await kv.TxnAsync(txn, md);
            return $"succeeded={r.Succeeded} prev={string.Join(',', r.Responses.Select(Prev))}";
        }
        static string Prev(ResponseOp op) => op.ResponseCase switch
        {
            ResponseOp.ResponseOneofCase.ResponsePut => op.ResponsePut.PrevKv?.Value.ToStringUtf8() ?? "-",
            ResponseOp.ResponseOneofCase.ResponseRange => string.Join('|', op.ResponseRange.Kvs.Select(k => k.Value.ToStringUtf8())),
            ResponseOp.ResponseOneofCase.ResponseTxn => "[" + string.Join(',', op.ResponseTxn.Responses.Select(Prev)) + "]",
            _ => "-",
        };
        static RequestOp Put(string key, bool prevKv = false, long lease = 0) =>
            new() { RequestPut = new PutRequest { Key = B(key), Value = B("x"), PrevKv = prevKv, Lease = lease } };
        static RequestOp Nested(TxnRequest inner) => new() { RequestTxn = inner };
        static TxnRequest Ops(params RequestOp[] ops)
        {
            var t = new TxnRequest();
            t.Success.AddRange(ops);
            return t;
        }
        var foreignCompare = Ops(Put("/a/2"));
        foreignCompare.Compare.Add(new Compare { Key = B("/b/1"), Target = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget.Version, Result = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult.Greater, Version = 0 });
        var nestedRead = Ops(Nested(Ops(new RequestOp { RequestRange = new RangeRequest { Key = B("/b/1") } })));
        await Same("alice: a nested txn inside her prefix", () => Txn(Ops(Put("/a/3"), Nested(Ops(Put("/a/4")))), alice));
        await Fixed("alice: a nested txn puts outside her prefix", () => Txn(Ops(Put("/a/5"), Nested(Ops(Put("/b/2")))), alice));
        await Fixed("alice: a nested txn compares outside her prefix", () => Txn(Ops(Nested(foreignCompare)), alice));
        await Fixed("alice: a read-only nested txn reads outside her prefix", () => Txn(nestedRead, alice));
        await Same("alice: a put with prev_kv on a key she may only write", async () =>
            (await kv.PutAsync(new PutRequest { Key = B("/w/1"), Value = B("x"), PrevKv = true }, alice)).PrevKv?.Value.ToStringUtf8() ?? "-");
        await Same("alice: a put with a lease attached to a key she may not write", async () =>
            (await kv.PutAsync(new PutRequest { Key = B("/a/9"), Value = B("x"), Lease = Foreign }, alice)).Header.Revision > 0 ? "put" : "?");
        await Same("alice: a txn delete with prev_kv on a key she may only write", () =>
            Txn(Ops(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("/w/1"), PrevKv = true } }), alice));
        await Same("alice: a txn put without prev_kv on a key she may only write", () => Txn(Ops(Put("/w/1")), alice));
        await Fixed("alice: a txn put with prev_kv on a key she may only write", () => Txn(Ops(Put("/w/1", prevKv: true)), alice));
        await Fixed("alice: a txn put with a lease attached to a key she may not write", () => Txn(Ops(Put("/a/9", lease: Foreign)), alice));
        await Fixed("alice: a nested txn put with prev_kv on a key she may only write", () => Txn(Ops(Nested(Ops(Put("/w/1", prevKv: true)))), alice));

        // GHSA-xg4h-6gfc-h4m8: alice may read k, and only k; a watch from k would see l.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = new Etcd.Api.Etcdserverpb.Watch.WatchClient(channel).Watch(alice, cancellationToken: cts.Token);
        async Task<string> Create(string key, string end)
        {
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B(key), RangeEnd = B(end) } });
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            var r = watch.ResponseStream.Current;
            return $"id={r.WatchId} created={r.Created} canceled={r.Canceled} reason=[{r.CancelReason}]";
        }
        await Same("alice: a watch on the one key she may read", () => Create("k", ""));
        await Fixed("alice: a watch from the one key she may read", () => Create("k", "\0"));

        await Fixed("untouched: /b/1, /b/2, /a/5, /a/9", async () =>
        {
            var values = new List<string>();
            foreach (var key in new[] { "/b/1", "/b/2", "/a/5", "/a/9" })
                values.Add((await kv.RangeAsync(new RangeRequest { Key = B(key) }, root)).Kvs.SingleOrDefault()?.Value.ToStringUtf8() ?? "-");
            return string.Join(',', values);
        });
        return (steps.Compared, steps.Fixed);
    }
}
