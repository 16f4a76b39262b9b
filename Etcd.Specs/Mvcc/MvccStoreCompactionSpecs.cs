using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Microsoft.Data.Sqlite;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// MvccStoreActor runs a compaction's backend deletions in batches of --experimental-compaction-batch-limit rows,
/// one transaction and one mailbox turn each: what arrives meanwhile is served between two batches. Observed through
/// the order of the store's own messages (Applied replies and BatchCommitted events reach the test actor from the
/// store's thread, in the order it did things) and a backend hook inside each commit, not through timing (but the spec of the batch interval, which asserts a
/// lower bound on the gap between two batches).
/// </summary>
public sealed class MvccStoreCompactionSpecs() : MvccStoreActorSpecBase("mvcc-compaction")
{
    private const int BatchLimit = 10;
    private const int Puts = 200;

    private IActorRef StartStoreWithLimit() =>
        Sys.ActorOf(MvccStoreActor.Props(MemberSettings().MvccWithPaths with { CompactionBatchLimit = BatchLimit }, 0xAA, 0xCC, Waits));

    /// <summary>Puts over five keys at indexes 1..<see cref="Puts"/> (revisions 2..Puts+1), applied and acknowledged.</summary>
    private void Fill(IActorRef store)
    {
        var entries = Enumerable.Range(1, Puts).Select(i => MvccEntries.Put((ulong)i, "k" + (i % 5), "v" + i)).ToList();
        store.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts, Wait);
    }

    private static MvccProtocol.ApplyCommitted One(Entry e) => new([e], 2);

    private static Entry Compaction(ulong index, long rev) =>
        MvccEntries.Normal(index, 0, new InternalRaftRequest { Compaction = new CompactionRequest { Revision = rev } });

    [Fact]
    public async Task A_put_and_a_read_that_arrive_during_a_batch_are_served_before_the_next_one()
    {
        var store = StartStoreWithLimit();
        Fill(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        var read = MvccEntries.Read(new RangeRequest { Key = B("k1") });
        var commits = 0;
        // Inside the first batch's transaction (the commit after the compaction's apply), hand the store a put and a
        // read: they reach its mailbox before the ContinueCompaction it tells itself once the batch has committed.
        using var hook = SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
        {
            if (op == "commit" && Interlocked.Increment(ref commits) == 2)
            {
                store.Tell(One(MvccEntries.Put(Puts + 2, "k1", "during")), TestActor);
                store.Tell(new MvccProtocol.SerializableRead(read));
            }
            return null;
        });

        store.Tell(One(Compaction(Puts + 1, Puts)), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 1, Wait);
        var first = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal((BatchLimit, false), (first.Scanned, first.Done));
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 2, Wait);
        var second = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal(2, second.Batches);
        Assert.True(read.Completion.Task.IsCompleted, "the read waited for the compaction");
        var got = (RangeResponse)await read.Completion.Task;
        Assert.Equal("during", got.Kvs.Single().Value.ToStringUtf8());

        var batches = new List<Etcd.Actors.Mvcc.Core.CompactionBatch> { first, second };
        while (!batches[^1].Done) batches.Add(ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch);
        // Rows at or below revision Puts: revisions 2..Puts, looked at BatchLimit per batch, then a short last batch.
        Assert.Equal((Puts - 1) / BatchLimit + 1, batches.Count);
        Assert.Equal(batches.Count + 2, Volatile.Read(ref commits)); // + the compaction's apply and the put's
        Assert.Equal(Puts - 1 - 5, batches[^1].TotalDeleted); // revisions 2..Puts but the newest of each of 5 keys
        Assert.Equal(Puts, await HashKvCompactRevisionAsync(store));
    }

    [Fact]
    public async Task A_store_that_fails_between_batches_finishes_the_compaction_when_it_reopens()
    {
        var store = StartStoreWithLimit();
        Fill(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        var commits = 0;
        // The fourth commit (third batch) fails like a disk error: its transaction rolls back and the store restarts.
        using var hook = SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
            op == "commit" && Interlocked.Increment(ref commits) == 4 ? new SqliteException("disk I/O error", 10) : null);
        store.Tell(One(Compaction(Puts + 1, Puts)), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 1, Wait);
        Assert.Equal(1, ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch.Batches);
        Assert.Equal(2, ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch.Batches);
        // The restarted store reopens the file (scheduled 200, finished -1) and starts over from the first row.
        var restarted = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal(1, restarted.Batches);
        var last = restarted;
        while (!last.Done) last = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal(Puts, last.Target);
        Assert.Equal(Puts, await HashKvCompactRevisionAsync(store));

        // And from disk: a new store on the file has nothing left to do and the same data.
        Watch(store);
        Sys.Stop(store);
        ExpectTerminated(store, Wait);
        var reopened = StartStoreWithLimit();
        Assert.Equal(Puts, await HashKvCompactRevisionAsync(reopened));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // no batch: the compaction had finished (a window to show absence)
        // Revision Puts is index Puts - 1; the last put of k0 at or before it is index 195.
        var read = MvccEntries.Read(new RangeRequest { Key = B("k0"), Revision = Puts });
        reopened.Tell(new MvccProtocol.SerializableRead(read));
        Assert.Equal("v195", ((RangeResponse)await read.Completion.Task.WaitAsync(Wait)).Kvs.Single().Value.ToStringUtf8());
    }

    /// <summary>
    /// etcd 3.4 sleeps 10 ms after each batch of rows (kvstore_compaction.go); the store waits
    /// etcd.mvcc.compaction-batch-interval the same way, so that under a flood of applies the batches take a bounded
    /// share of its thread: a put handed over after a batch is applied at once, the next batch only after the pause.
    /// </summary>
    [Fact]
    public void After_a_batch_of_rows_the_next_waits_the_interval_while_applies_go_on()
    {
        var interval = TimeSpan.FromSeconds(1);
        var store = Sys.ActorOf(MvccStoreActor.Props(
            MemberSettings().MvccWithPaths with { CompactionBatchLimit = 100, CompactionBatchInterval = interval }, 0xAA, 0xCC, Waits));
        Fill(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        store.Tell(One(Compaction(Puts + 1, Puts)), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 1, Wait);
        Assert.Equal(1, ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch.Batches);
        var sinceFirst = System.Diagnostics.Stopwatch.StartNew();
        store.Tell(One(MvccEntries.Put(Puts + 2, "k1", "between")), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 2, Wait);
        var second = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal(2, second.Batches);
        // Akka's scheduler never fires early by more than its tick (10 ms); a quarter of the interval is slack for that.
        Assert.True(sinceFirst.Elapsed >= interval * 0.75, $"the second batch came {sinceFirst.Elapsed.TotalMilliseconds} ms after the first");
        var last = second;
        while (!last.Done) last = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.Equal(Puts, last.Target);
    }

    /// <summary>
    /// A Compact RPC with <c>physical</c> waits for the store's NotifyCompacted: answered when the last batch has
    /// committed, not before (checked inside every later batch's commit, on the store's thread), at once when nothing
    /// is under way, and refused with "too many requests" past the bound.
    /// </summary>
    [Fact]
    public async Task A_physical_compaction_is_answered_after_the_last_batch_and_waiters_are_bounded()
    {
        var store = StartStoreWithLimit();
        Fill(store);
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Tell(new CompactionProtocol.NotifyCompacted(idle));
        await idle.Task.WaitAsync(Wait);

        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        var waiters = Enumerable.Range(0, MvccStoreActor.MaxCompactionWaiters)
            .Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (commits, early) = (0, 0);
        using var hook = SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
        {
            if (op != "commit") return null;
            var n = Interlocked.Increment(ref commits);
            if (n == 2) // the first batch: the compaction is under way
            {
                foreach (var w in waiters) store.Tell(new CompactionProtocol.NotifyCompacted(w));
                store.Tell(new CompactionProtocol.NotifyCompacted(refused));
            }
            else if (n > 2 && waiters.Any(w => w.Task.IsCompleted)) Interlocked.Increment(ref early);
            return null;
        });
        store.Tell(One(Compaction(Puts + 1, Puts)), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 1, Wait);
        var last = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        while (!last.Done) last = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;

        await Task.WhenAll(waiters.Select(w => w.Task)).WaitAsync(Wait);
        Assert.Equal(0, Volatile.Read(ref early));
        Assert.True(last.Batches > 2, $"the compaction took {last.Batches} batches: too few to show a wait");
        var tooMany = await Assert.ThrowsAsync<EtcdException>(() => refused.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.TooManyRequests, tooMany.Error);
    }

    [Fact]
    public async Task A_physical_compaction_waiter_gets_server_stopped_when_the_store_stops_first()
    {
        var store = StartStoreWithLimit();
        Fill(store);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = 0;
        using var hook = SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
        {
            if (op != "commit") return null;
            var n = Interlocked.Increment(ref commits);
            if (n == 2) store.Tell(new CompactionProtocol.NotifyCompacted(done));
            else if (n == 3) Sys.Stop(store); // registered before this batch ran; the store stops after it
            return null;
        });
        store.Tell(One(Compaction(Puts + 1, Puts)), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Puts + 1, Wait);
        var stopped = await Assert.ThrowsAsync<EtcdException>(() => done.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.Stopped, stopped.Error);
    }

    private static async Task<long> HashKvCompactRevisionAsync(IActorRef store)
    {
        var tcs = new TaskCompletionSource<HashReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Tell(new IntegrityProtocol.GetHashKv(0, tcs));
        return (await tcs.Task.WaitAsync(Wait)).CompactRevision;
    }
}
