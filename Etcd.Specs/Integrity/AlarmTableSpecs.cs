using Etcd.Actors.Alarm.Core;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;
using AlarmAction = Etcd.Api.Etcdserverpb.AlarmRequest.Types.AlarmAction;

namespace Etcd.Specs.Integrity;

/// <summary>etcd 3.4's alarm store and the appliers it swaps in while an alarm is raised.</summary>
public sealed class AlarmTableSpecs
{
    private static AlarmRequest Req(AlarmAction action, ulong member, AlarmType type) => new() { Action = action, MemberID = member, Alarm = type };

    private static InternalRaftRequest Put() => new() { Put = new PutRequest { Key = ByteString.CopyFromUtf8("k") } };

    [Fact]
    public void Activate_lists_and_refuses_writes_then_disarm_clears()
    {
        var t = AlarmTable.Empty;
        Assert.Null(t.RefuseWrite(Put()));

        var r = t.Apply(Req(AlarmAction.Activate, 0, AlarmType.Corrupt));
        Assert.Equal(AlarmTransition.Raised, r.Transition);
        Assert.Equal([new AlarmMember { MemberID = 0, Alarm = AlarmType.Corrupt }], r.Response.Alarms);
        Assert.Null(r.Response.Header); // etcd 3.4 answers alarm requests without a header
        t = r.Table;

        Assert.Equal(EtcdErrors.Corrupt, t.RefuseWrite(Put()));
        Assert.Equal(EtcdErrors.Corrupt, t.RefuseWrite(new InternalRaftRequest { DeleteRange = new DeleteRangeRequest() }));
        Assert.Equal(EtcdErrors.Corrupt, t.RefuseWrite(new InternalRaftRequest { Txn = new TxnRequest() }));
        Assert.Equal(EtcdErrors.Corrupt, t.RefuseWrite(new InternalRaftRequest { Compaction = new CompactionRequest() }));
        Assert.Null(t.RefuseWrite(new InternalRaftRequest { ClusterMemberAttrSet = new ClusterMemberAttrSetRequest() }));

        var get = t.Apply(Req(AlarmAction.Get, 0, AlarmType.None));
        Assert.Same(t, get.Table);
        Assert.Single(get.Response.Alarms);

        var again = t.Apply(Req(AlarmAction.Activate, 0, AlarmType.Corrupt));
        Assert.Same(t, again.Table);
        Assert.Equal(AlarmTransition.None, again.Transition);
        Assert.Single(again.Response.Alarms);

        var off = t.Apply(Req(AlarmAction.Deactivate, 0, AlarmType.Corrupt));
        Assert.Equal(AlarmTransition.Cleared, off.Transition);
        Assert.Single(off.Response.Alarms);
        Assert.Equal(0, off.Table.Count);
        Assert.Null(off.Table.RefuseWrite(Put()));
    }

    [Fact]
    public void Disarming_an_alarm_that_is_not_raised_answers_nothing_and_changes_nothing()
    {
        var t = AlarmTable.Empty.Apply(Req(AlarmAction.Activate, 7, AlarmType.Corrupt)).Table;
        var r = t.Apply(Req(AlarmAction.Deactivate, 8, AlarmType.Corrupt));
        Assert.Same(t, r.Table);
        Assert.Empty(r.Response.Alarms);
        // Two members raised it: disarming one leaves the cluster refusing writes.
        t = t.Apply(Req(AlarmAction.Activate, 8, AlarmType.Corrupt)).Table;
        var one = t.Apply(Req(AlarmAction.Deactivate, 7, AlarmType.Corrupt));
        Assert.Equal(AlarmTransition.None, one.Transition);
        Assert.Equal(EtcdErrors.Corrupt, one.Table.RefuseWrite(Put()));
    }

    [Fact]
    public void Get_filters_by_type_and_lists_in_a_stable_order()
    {
        var t = AlarmTable.Empty;
        foreach (var (m, a) in new[] { (9UL, AlarmType.Corrupt), (3UL, AlarmType.Nospace), (1UL, AlarmType.Corrupt) })
            t = t.Apply(Req(AlarmAction.Activate, m, a)).Table;
        Assert.Equal([3UL, 1UL, 9UL], t.Get(AlarmType.None).Select(a => a.MemberID));
        Assert.Equal([1UL, 9UL], t.Get(AlarmType.Corrupt).Select(a => a.MemberID));
    }

    [Fact]
    public void Nospace_refuses_puts_and_txns_with_a_put_only()
    {
        var t = AlarmTable.Empty.Apply(Req(AlarmAction.Activate, 1, AlarmType.Nospace)).Table;
        Assert.Equal(EtcdErrors.NoSpace, t.RefuseWrite(Put()));
        var txnPut = new TxnRequest();
        txnPut.Failure.Add(new RequestOp { RequestPut = new PutRequest() });
        Assert.Equal(EtcdErrors.NoSpace, t.RefuseWrite(new InternalRaftRequest { Txn = txnPut }));
        var txnDel = new TxnRequest();
        txnDel.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest() });
        Assert.Null(t.RefuseWrite(new InternalRaftRequest { Txn = txnDel }));
        Assert.Null(t.RefuseWrite(new InternalRaftRequest { DeleteRange = new DeleteRangeRequest() }));
        Assert.Null(t.RefuseWrite(new InternalRaftRequest { Compaction = new CompactionRequest() }));
    }

    [Fact]
    public void The_backend_keeps_alarms_with_the_batch_across_a_reopen()
    {
        using var dir = new TempDir("alarms");
        var path = dir.Sub("mvcc.db");
        var raised = AlarmTable.Empty.Apply(Req(AlarmAction.Activate, 0, AlarmType.Corrupt)).Table;
        using (var b = SqliteBackend.Open(path))
        {
            Assert.Equal(0, b.Alarms.Count);
            b.StageAlarms(raised);
            Assert.Equal(0, b.Alarms.Count); // staged only
            b.Commit(1);
            Assert.Equal(1, b.Alarms.Count);
        }
        using (var b = SqliteBackend.Open(path))
        {
            Assert.Equal([(AlarmType.Corrupt, 0UL)], b.Alarms.All);
            var h = b.HashAll();
            b.StageAlarms(AlarmTable.Empty);
            b.Commit(2);
            Assert.NotEqual(h, b.HashAll()); // Maintenance.Hash covers the alarm table
        }
        using (var b = SqliteBackend.Open(path)) Assert.Equal(0, b.Alarms.Count);
    }
}
