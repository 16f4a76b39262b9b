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
/// again. Until they come, the batches RaftActor sent after the lost one no longer follow the applied index:
/// they are dropped, not counted as more failures (which used to turn one transient error under load into a
/// dead member).
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

        mvcc.Tell(Batch(Put(1, "a")), TestActor); // fails in its commit, which rolls back
        Assert.Equal(0ul, ExpectMsg<MvccProtocol.Restarted>(Wait).AppliedIndex);

        // Sent by the old RaftActor after the batch the failure lost: they no longer follow the applied index.
        mvcc.Tell(Batch(Put(2, "b")), TestActor);
        mvcc.Tell(Batch(Put(3, "c")), TestActor);
        // The restarted RaftActor hands out every committed entry again.
        mvcc.Tell(Batch(Put(1, "a"), Put(2, "b"), Put(3, "c")), TestActor);

        // Nothing in between: the stale batches caused no further failure (a failure would have sent Restarted).
        Assert.Equal(3ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        var revisions = new List<long>();
        foreach (var w in waiters) revisions.Add(((PutResponse)await w.Task.WaitAsync(Wait)).Header.Revision);
        Assert.Equal([2L, 3L, 4L], revisions);
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
