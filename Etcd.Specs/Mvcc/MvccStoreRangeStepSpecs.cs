using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A large range is read in steps with applies in between (MvccStoreActor.RangeSteps.cs), so it does not stall
/// writes; its answer is still the one of the moment it began, and a compaction applied meanwhile waits for it.
/// </summary>
public sealed class MvccStoreRangeStepSpecs() : MvccStoreActorSpecBase("mvcc-range-steps")
{
    private const int Keys = 200;
    private const int StepRows = 10;

    private sealed record ReadDone(int Count, long HeaderRevision, bool SawLater);

    private IActorRef StartStoreWithSteps(int stepRows, string? store = null, int maxOpen = 64) =>
        Sys.ActorOf(MvccStoreActor.Props(MemberSettings(store).MvccWithPaths with { RangeStepRows = stepRows, MaxOpenRanges = maxOpen }, 0xAA, 0xCC, Waits));

    /// <summary>Keys k000..k199 at indexes 1..200 (revisions 2..201), applied and acknowledged.</summary>
    private void Fill(IActorRef store)
    {
        var entries = Enumerable.Range(0, Keys).Select(i => MvccEntries.Put((ulong)i + 1, $"k{i:000}", "v1")).ToList();
        store.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys, Wait);
    }

    /// <summary>
    /// A read of every key whose completion tells TestActor, from the store's own thread (the completion source runs
    /// its continuation synchronously), so TestActor sees it in order with the store's Applied messages.
    /// </summary>
    private MvccProtocol.ReadCommand ReadAllTellingDone() => ReadTellingDone(MvccEntries.All());

    private MvccProtocol.ReadCommand ReadTellingDone(RangeRequest range)
    {
        var done = new TaskCompletionSource<IMessage>();
        var testActor = TestActor;
        done.Task.ContinueWith(t =>
        {
            var r = (RangeResponse)t.Result;
            testActor.Tell(new ReadDone(r.Kvs.Count, r.Header.Revision, r.Kvs.Any(kv => kv.Value.ToStringUtf8() == "later")));
        }, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion);
        return new MvccProtocol.ReadCommand(range, done);
    }

    /// <summary>
    /// Hands the store <paramref name="messages"/> from inside the commit of the next apply, so they are in its mailbox,
    /// in this order, before it handles anything else.
    /// </summary>
    private IDisposable DuringNextCommit(IActorRef store, params object[] messages) => DuringNextCommitOf(null, store, messages);

    private IDisposable DuringNextCommitOf(string? name, IActorRef store, params object[] messages)
    {
        var handed = 0;
        return SqliteBackend.InjectFaults(MemberSettings(name).BackendPath, op =>
        {
            if (op == "commit" && Interlocked.Exchange(ref handed, 1) == 0)
                foreach (var m in messages) store.Tell(m, TestActor);
            return null;
        });
    }

    [Fact]
    public void A_put_that_arrives_after_a_large_range_began_is_applied_before_the_range_is_answered()
    {
        var store = StartStoreWithSteps(StepRows);
        Fill(store);
        var read = ReadAllTellingDone();
        using (DuringNextCommit(store, new MvccProtocol.SerializableRead(read),
                   new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 2, "k000", "later")], 2)))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
        }

        // The range began first (it was in the mailbox first) but needs 20 steps: the put, behind its first step,
        // is applied before its answer. Read whole, the answer would come first.
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 2, Wait);
        var done = ExpectMsg<ReadDone>(Wait);
        // Still the answer of the moment it began: every key (and "other"), at revision 202, none of the later put.
        Assert.Equal(new ReadDone(Keys + 1, Keys + 2, SawLater: false), done);
    }

    [Fact]
    public async Task A_large_range_asked_for_as_bytes_is_answered_with_its_key_values_beside_the_response_and_a_small_or_unasked_one_with_objects()
    {
        var store = StartStoreWithSteps(StepRows);
        Fill(store);
        var expected = Enumerable.Range(0, Keys).Select(i => $"k{i:000}").ToList();

        var asBytes = new TaskCompletionSource<IMessage>();
        store.Tell(new MvccProtocol.SerializableRead(new MvccProtocol.ReadCommand(MvccEntries.All(), asBytes, EncodeKvs: true)));
        var response = (RangeResponse)await asBytes.Task.WaitAsync(Wait);
        Assert.Empty(response.Kvs);
        Assert.Equal(Keys, response.Count);
        Assert.True(EncodedRanges.TryTake(response, out var encoded));
        Assert.Equal(Keys, encoded.Count);
        var bytes = new System.Buffers.ArrayBufferWriter<byte>();
        encoded.WriteTo(bytes);
        encoded.Release();
        Assert.Equal(expected, RangeResponse.Parser.ParseFrom(bytes.WrittenSpan.ToArray()).Kvs.Select(kv => kv.Key.ToStringUtf8()));

        // Without the flag, and with it for a range one step answers, the key-values are in the response.
        foreach (var (request, asked, keys) in new[] { (MvccEntries.All(), false, Keys), (new RangeRequest { Key = B("k000"), RangeEnd = B("k005") }, true, 5) })
        {
            var done = new TaskCompletionSource<IMessage>();
            store.Tell(new MvccProtocol.SerializableRead(new MvccProtocol.ReadCommand(request, done, EncodeKvs: asked)));
            var plain = (RangeResponse)await done.Task.WaitAsync(Wait);
            Assert.Equal(keys, plain.Kvs.Count);
            Assert.False(EncodedRanges.TryTake(plain, out _));
        }
    }

    [Fact]
    public void A_compaction_applied_while_a_large_range_is_read_waits_for_it_and_then_finishes()
    {
        var store = StartStoreWithSteps(stepRows: 1);
        Fill(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        var read = ReadAllTellingDone();
        // Every key gets a newer revision, then history is compacted above the range's revision: each revision the
        // range still has to read is one the compaction deletes.
        var overwrite = Enumerable.Range(0, Keys).Select(i => MvccEntries.Put((ulong)(Keys + 2 + i), $"k{i:000}", "later")).ToList();
        var compactAt = (long)(Keys + 2 + Keys); // revision of the last overwrite
        var compaction = MvccEntries.Normal(Keys + 2 + Keys, 0, new InternalRaftRequest { Compaction = new CompactionRequest { Revision = compactAt } });
        using (DuringNextCommit(store, new MvccProtocol.SerializableRead(read),
                   new MvccProtocol.ApplyCommitted(overwrite, 2),
                   new MvccProtocol.ApplyCommitted([compaction], 2)))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
        }
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1 + Keys, Wait);
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 2 + Keys, Wait);

        // The range is answered in full, as of its start, and only then does the compaction delete anything.
        var done = ExpectMsg<ReadDone>(Wait);
        Assert.Equal(new ReadDone(Keys + 1, Keys + 2, SawLater: false), done);
        var batch = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.True(batch.Done);
        Assert.Equal(compactAt, batch.Target);
        Assert.Equal(Keys, batch.TotalDeleted);
    }

    [Fact]
    public void A_range_open_when_a_snapshot_is_installed_begins_again_on_the_new_backend()
    {
        // Store "a": the 200 keys and 60 more (index 260, revision 261); its snapshot goes to store "b".
        var a = StartStoreWithSteps(StepRows, "a");
        Fill(a);
        a.Tell(new MvccProtocol.ApplyCommitted(
            Enumerable.Range(0, 60).Select(i => MvccEntries.Put((ulong)(Keys + 1 + i), $"a{i:00}", "x")).ToList(), 2), TestActor);
        ExpectMsg<MvccProtocol.Applied>(m => m.Index == Keys + 60, Wait);
        var path = Dir.Sub("transfer/snap.db");
        a.Tell(new MvccProtocol.CreateSnapshot(path), TestActor);
        ExpectMsg<MvccProtocol.SnapshotCreated>(Wait);

        // Store "b" begins a range of its own 201 keys in steps of one; the install arrives behind its first step.
        var b = StartStoreWithSteps(stepRows: 1, "b");
        Fill(b);
        var read = ReadAllTellingDone();
        using (DuringNextCommitOf("b", b, new MvccProtocol.SerializableRead(read), new MvccProtocol.InstallSnapshot(path)))
        {
            b.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(m => m.Index == Keys + 1, Wait);
        }
        Assert.Equal((ulong)(Keys + 60), ExpectMsg<MvccProtocol.SnapshotInstalled>(Wait).ConsistentIndex);

        // Answered, from the installed backend: its 260 keys at its revision, not a failure half-way on the old file.
        var done = FishForMessage<ReadDone>(_ => true, Wait);
        Assert.Equal(new ReadDone(Keys + 60, Keys + 61, SawLater: false), done);
    }

    [Fact]
    public void A_range_beyond_the_open_bound_waits_its_turn_instead_of_being_read_whole()
    {
        var store = StartStoreWithSteps(StepRows, maxOpen: 1);
        Fill(store);
        var first = ReadAllTellingDone();
        var second = ReadAllTellingDone();
        using (DuringNextCommit(store, new MvccProtocol.SerializableRead(first), new MvccProtocol.SerializableRead(second),
                   new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 2, "k000", "later")], 2)))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
        }
        // The second range found the one open slot taken: it waited, unbegun, so the put went first; then it began
        // after the put (it sees it) rather than being read whole ahead of it.
        ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 2, Wait);
        Assert.Equal(new ReadDone(Keys + 1, Keys + 2, SawLater: false), ExpectMsg<ReadDone>(Wait));
        Assert.Equal(new ReadDone(Keys + 1, Keys + 3, SawLater: true), ExpectMsg<ReadDone>(Wait));
    }

    [Fact]
    public void Open_ranges_are_read_oldest_first_so_a_smaller_later_one_finishes_after_the_first()
    {
        var store = StartStoreWithSteps(StepRows, maxOpen: 4);
        Fill(store);
        var eighty = ReadTellingDone(KeysFrom(0, 80));
        var thirty = ReadTellingDone(KeysFrom(100, 130));
        ReadAfterNextPut(store, eighty, thirty);
        // Both are open (two of four slots), each with its first step read. Taking turns a step each, the 3-step one
        // would finish first; read oldest first, the 8-step one (7 left, within one run of HeadSteps) finishes first.
        Assert.True(MvccStoreActor.HeadSteps >= 7);
        Assert.Equal(80, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(30, ExpectMsg<ReadDone>(Wait).Count);
    }

    [Fact]
    public void A_one_key_get_is_served_while_every_open_slot_is_taken()
    {
        var store = StartStoreWithSteps(StepRows, maxOpen: 1);
        Fill(store);
        var all = ReadTellingDone(MvccEntries.All());
        var fifty = ReadTellingDone(KeysFrom(0, 50));
        var one = ReadTellingDone(new RangeRequest { Key = ByteString.CopyFromUtf8("k007") });
        ReadAfterNextPut(store, all, fifty, one);
        // The one open slot is the first range's and the 50-key one waits for it; the one-key get needs no slot and
        // is answered before either, instead of waiting behind both.
        Assert.Equal(1, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(Keys + 1, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(50, ExpectMsg<ReadDone>(Wait).Count);
    }

    [Fact]
    public void A_count_and_a_small_limit_skip_the_queue_and_a_sorted_limit_of_one_does_not()
    {
        var store = StartStoreWithSteps(StepRows, maxOpen: 1);
        Fill(store);
        var all = ReadTellingDone(MvccEntries.All());
        var sorted = ReadTellingDone(new RangeRequest
        {
            Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), Limit = 1,
            SortOrder = RangeRequest.Types.SortOrder.Descend, SortTarget = RangeRequest.Types.SortTarget.Key,
        });
        var count = ReadTellingDone(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), CountOnly = true });
        var limited = ReadTellingDone(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), Limit = 3 });
        ReadAfterNextPut(store, all, sorted, count, limited);
        // The count (no values) and the first three keys are answered at once; the sorted read, which reads every key
        // before its limit applies, waits for the open one like any large range.
        Assert.Equal(0, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(3, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(Keys + 1, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(1, ExpectMsg<ReadDone>(Wait).Count);
    }

    [Fact]
    public void The_oldest_range_gives_way_after_its_run_of_steps_so_a_huge_one_does_not_hold_the_rest()
    {
        var store = StartStoreWithSteps(stepRows: 1, maxOpen: 2);
        Fill(store);
        var all = ReadTellingDone(MvccEntries.All());
        var ten = ReadTellingDone(KeysFrom(0, 10));
        ReadAfterNextPut(store, all, ten);
        // 201 steps against 10: read oldest first without a bound the first would finish first; with runs of
        // HeadSteps the ten-key read is done after two of its runs.
        Assert.True(MvccStoreActor.HeadSteps < 10);
        Assert.Equal(10, ExpectMsg<ReadDone>(Wait).Count);
        Assert.Equal(Keys + 1, ExpectMsg<ReadDone>(Wait).Count);
    }

    /// <summary>Applies a put of "other" (index Keys + 1) and hands the store <paramref name="reads"/> from inside its commit, so they come right after it, in order.</summary>
    private void ReadAfterNextPut(IActorRef store, params MvccProtocol.ReadCommand[] reads)
    {
        using (DuringNextCommit(store, reads.Select(r => (object)new MvccProtocol.SerializableRead(r)).ToArray()))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
        }
    }

    /// <summary>Keys k{from}..k{to - 1}, as a range [k{from:000}, k{to:000}).</summary>
    private static RangeRequest KeysFrom(int from, int to) =>
        new() { Key = ByteString.CopyFromUtf8($"k{from:000}"), RangeEnd = ByteString.CopyFromUtf8($"k{to:000}") };

    [Fact]
    public void A_range_whose_caller_gave_up_is_dropped_and_lets_a_held_compaction_go_on()
    {
        var store = StartStoreWithSteps(stepRows: 1);
        Fill(store);
        Sys.EventStream.Subscribe(TestActor, typeof(CompactionProtocol.BatchCommitted));
        var read = ReadAllTellingDone();
        var compactAt = (long)(Keys + 3); // the revision of the put "later", above the range's 202
        var compaction = MvccEntries.Normal(Keys + 3, 0, new InternalRaftRequest { Compaction = new CompactionRequest { Revision = compactAt } });
        // Commit 1 (the put below) hands the store the range, a put and the compaction; commit 3 (the compaction's
        // apply, while the range is open with ~200 steps to go) is where its caller gives up.
        var commits = 0;
        using (SqliteBackend.InjectFaults(MemberSettings().BackendPath, op =>
               {
                   if (op != "commit") return null;
                   var n = Interlocked.Increment(ref commits);
                   if (n == 1)
                   {
                       store.Tell(new MvccProtocol.SerializableRead(read), TestActor);
                       store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 2, "k000", "later")], 2), TestActor);
                       store.Tell(new MvccProtocol.ApplyCommitted([compaction], 2), TestActor);
                   }
                   else if (n == 3)
                   {
                       read.Completion.TrySetCanceled();
                   }
                   return null;
               }))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 2, Wait);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 3, Wait);
        }
        // The store drops the range at its next turn (no answer: the caller is gone) and the compaction it held finishes.
        var batch = ExpectMsg<CompactionProtocol.BatchCommitted>(Wait).Batch;
        Assert.True(batch.Done);
        Assert.Equal(compactAt, batch.Target);
        Assert.True(read.Completion.Task.IsCanceled);
    }

    [Fact]
    public async Task Ranges_open_or_waiting_when_the_store_stops_are_failed_not_left_hanging()
    {
        var store = StartStoreWithSteps(stepRows: 1, maxOpen: 1);
        Fill(store);
        var open = MvccEntries.Read(MvccEntries.All());
        var waiting = MvccEntries.Read(MvccEntries.All());
        using (DuringNextCommit(store, new MvccProtocol.SerializableRead(open), new MvccProtocol.SerializableRead(waiting), PoisonPill.Instance))
        {
            store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(Keys + 1, "other", "x")], 2), TestActor);
            ExpectMsg<MvccProtocol.Applied>(a => a.Index == Keys + 1, Wait);
        }
        var e1 = await Assert.ThrowsAsync<Etcd.Actors.Errors.EtcdException>(() => open.Completion.Task.WaitAsync(Wait));
        var e2 = await Assert.ThrowsAsync<Etcd.Actors.Errors.EtcdException>(() => waiting.Completion.Task.WaitAsync(Wait));
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.Stopped, e1.Error);
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.Stopped, e2.Error);
    }
}
