using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A store that fails a batch restarts in place and asks its parent to have the committed entries handed out
/// again. Until the recreated RaftActor announces itself, the batches the old one sent after the lost one are
/// dropped, not applied and not counted as more failures (which used to turn one transient error under load
/// into a dead member).
/// </summary>
public sealed class MvccStoreRestartSpecs() : MvccStoreActorSpecBase("mvcc-restart")
{
    /// <summary>A put whose waiter is its index.</summary>
    private static Entry Put(ulong index, string key) => MvccEntries.Put(index, key, "v", waiter: index);

    private static MvccProtocol.ApplyCommitted Batch(params Entry[] entries) => new(entries, 2);

    /// <summary>The store as the child of a parent that restarts it and passes on what it tells its parent.</summary>
    private IActorRef StartUnderParent()
    {
        var props = StoreProps();
        var parent = Sys.ActorOf(Props.Create(() => new Parent(props, TestActor)));
        return parent.Ask<IActorRef>("child", Wait).GetAwaiter().GetResult();
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(Props child, IActorRef probe)
        {
            var store = Context.ActorOf(child, "mvcc");
            Receive<string>(_ => Sender.Tell(store));
            ReceiveAny(m => probe.Forward(m));
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Restart);
    }

    [Fact]
    public async Task After_a_failed_commit_stale_batches_are_dropped_and_the_redelivered_entries_are_applied_once()
    {
        var failNext = 1;
        using var faults = SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
            op == "commit" && Interlocked.Exchange(ref failNext, 0) == 1 ? new SqliteException("database is locked", 5) : null);
        var waiters = Enumerable.Range(1, 3).Select(i => Waits.Register((ulong)i)!).ToArray();
        var mvcc = StartUnderParent();
        var oldRaft = CreateTestProbe();
        var newRaft = CreateTestProbe();
        mvcc.Tell(new MvccProtocol.RaftStarted(), oldRaft);

        mvcc.Tell(Batch(Put(1, "a")), oldRaft); // fails in its commit, which rolls back
        Assert.Equal(0ul, ExpectMsg<MvccProtocol.Restarted>(Wait).AppliedIndex);

        // Sent by the old RaftActor after the batch the failure lost.
        mvcc.Tell(Batch(Put(2, "b")), oldRaft);
        mvcc.Tell(Batch(Put(3, "c")), oldRaft);
        // The recreated RaftActor announces itself and hands out every committed entry again.
        mvcc.Tell(new MvccProtocol.RaftStarted(), newRaft);
        mvcc.Tell(Batch(Put(1, "a"), Put(2, "b"), Put(3, "c")), newRaft);

        // Nothing in between: the stale batches caused no further failure (a failure would have sent Restarted).
        Assert.Equal(3ul, newRaft.ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        oldRaft.ExpectNoMsg(TimeSpan.Zero);
        var revisions = new List<long>();
        foreach (var w in waiters) revisions.Add(((PutResponse)await w.Task.WaitAsync(Wait)).Header.Revision);
        Assert.Equal([2L, 3L, 4L], revisions);
    }

    /// <summary>
    /// The store judges a batch by the RaftActor incarnation that sent it, not by its indexes. Here the batch the
    /// failure lost was bogus (a gap), so the old incarnation's next batch follows the applied index exactly; it
    /// used to be applied, and its answers went to the incarnation the guardian is stopping: the member table it
    /// changed never reached the new one, whose own copy of the entry is then skipped as already applied. Now
    /// nothing is applied until the recreated RaftActor announces itself, and only its batches then.
    /// </summary>
    [Fact]
    public void After_a_restart_only_the_recreated_raft_incarnation_is_applied_even_when_a_stale_batch_follows()
    {
        var mvcc = StartUnderParent();
        var oldRaft = CreateTestProbe();
        var newRaft = CreateTestProbe();
        mvcc.Tell(new MvccProtocol.RaftStarted(), oldRaft);
        mvcc.Tell(Batch(Put(1, "a")), oldRaft);
        Assert.Equal(1ul, oldRaft.ExpectMsg<MvccProtocol.Applied>(Wait).Index);

        mvcc.Tell(Batch(Put(3, "c")), oldRaft); // a gap: the store throws and restarts at applied index 1
        Assert.Equal(1ul, ExpectMsg<MvccProtocol.Restarted>(Wait).AppliedIndex);

        // Still queued from the old incarnation: entry 2 (a member added) follows the applied index.
        var added = MvccEntries.Conf(2, ConfChangeType.ConfChangeAddNode, 0x44, 0, "d", "http://10.0.0.4:2380");
        mvcc.Tell(Batch(added), oldRaft);
        mvcc.Tell(new MvccProtocol.RaftStarted(), newRaft);
        mvcc.Tell(Batch(Put(1, "a"), added), newRaft);

        var members = newRaft.ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        Assert.Equal(0x44ul, Assert.Single(members.Members).ID);
        Assert.Equal(2ul, newRaft.ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        oldRaft.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void A_restarted_store_applies_nothing_until_a_raft_incarnation_announces_itself()
    {
        var mvcc = StartUnderParent();
        mvcc.Tell(Batch(Put(2, "b")), TestActor); // a gap: the store throws and restarts at applied index 0
        Assert.Equal(0ul, ExpectMsg<MvccProtocol.Restarted>(Wait).AppliedIndex);

        mvcc.Tell(Batch(Put(1, "a")), TestActor); // nobody announced itself to the restarted store: dropped
        mvcc.Tell(new MvccProtocol.RaftStarted(), TestActor);
        mvcc.Tell(Batch(Put(1, "a")), TestActor);
        Assert.Equal(1ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Outside_a_redelivery_a_gap_is_still_a_broken_invariant()
    {
        var mvcc = StartUnderParent();
        mvcc.Tell(Batch(Put(1, "a")), TestActor);
        Assert.Equal(1ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);

        mvcc.Tell(Batch(Put(3, "c")), TestActor); // throws "apply gap"; the actor restarts
        Assert.Equal(1ul, ExpectMsg<MvccProtocol.Restarted>(Wait).AppliedIndex);
    }
}
