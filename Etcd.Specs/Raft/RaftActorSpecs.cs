using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Actors.Server;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>RaftActor against Akka.Persistence.TestKit's in-memory journal, with a probe as MvccStoreActor.</summary>
public class RaftActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>Akka.Persistence.TestKit's journal and snapshot store, with protobuf serialization; shared by the RaftActor specs.</summary>
    internal static readonly Config TestJournalConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.persistence.journal {
          plugin = "akka.persistence.journal.test"
          test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        akka.persistence.snapshot-store {
          plugin = "akka.persistence.snapshot-store.test"
          test {
            class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        """).WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization));

    private static ulong _nextMember = 0x1000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public RaftActorSpecs() : base(TestJournalConfig, "raft-actor-specs")
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));

    private static RaftSettings Settings => RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 };

    private (IActorRef Raft, TestProbe Mvcc, WaitRegistry Waits, ulong Id) StartRaft(RaftSettings? settings = null, ulong? id = null, WaitRegistry? waits = null)
    {
        var member = id ?? Interlocked.Increment(ref _nextMember);
        var mvcc = CreateTestProbe();
        // The member table is not part of these specs.
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccProtocol.RaftStarted);
        waits ??= new WaitRegistry(100_000);
        var raft = Sys.ActorOf(RaftActor.Props(settings ?? Settings, member, [member], mvcc.Ref, waits));
        return (raft, mvcc, waits, member);
    }

    private static List<Entry> CollectApplied(TestProbe mvcc, ulong upTo)
    {
        var entries = new List<Entry>();
        while (entries.Count == 0 || entries[^1].Index < upTo)
            entries.AddRange(mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait).Entries);
        return entries;
    }

    /// <summary>
    /// A new single-member cluster applies its bootstrap conf change (index 1, term 1), elects itself and
    /// applies its own empty entry (index 2) before anything proposed; returns the term it leads. That is term 2
    /// unless its vote's write took longer than an election timeout (a starved machine), in which case it campaigned
    /// again, as etcd-io/raft does: the self-vote counts only once durable.
    /// </summary>
    private static ulong AwaitLeadership(TestProbe mvcc)
    {
        var applied = CollectApplied(mvcc, 2);
        Assert.Equal(EntryType.EntryConfChange, applied[0].Type);
        Assert.Equal(2UL, applied[^1].Index);
        Assert.True(applied[^1].Term >= 2, $"led in term {applied[^1].Term}");
        return applied[^1].Term;
    }

    private IReadOnlyList<object> ReadJournal(ulong member)
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(JournalProbeActor.Props(RaftActor.PersistenceIdFor(member), probe.Ref));
        return probe.ExpectMsg<JournalProbeActor.Replayed>(Wait).Events;
    }

    /// <summary>
    /// Every write takes longer than the longest election timeout (10 ticks of 50 ms, randomized up to 1 s): the
    /// candidate waits for its vote's write instead of starting election after election. Before, each timeout began a
    /// new term whose write outlasted the next timeout, and the single voter never elected itself (seen in CI as a
    /// 15 s wait for leadership on a starved machine).
    /// </summary>
    [Fact]
    public async Task A_single_voter_whose_writes_outlast_the_election_timeout_elects_itself_in_its_first_term()
    {
        await Journal.OnWrite.PassWithDelay(TimeSpan.FromMilliseconds(1500));
        var (_, mvcc, _, _) = StartRaft();
        Assert.Equal(2UL, AwaitLeadership(mvcc));
    }

    [Fact]
    public async Task A_proposal_is_persisted_then_applied_with_its_index_and_term()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, waits, member) = StartRaft();
        var term = AwaitLeadership(mvcc);

        waits.Register(7);
        raft.Tell(new RaftProtocol.Propose(7, ByteString.CopyFromUtf8("put")));
        var applied = mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait);
        var e = Assert.Single(applied.Entries);
        Assert.Equal((3UL, term, "put"), (e.Index, e.Term, e.Data.ToStringUtf8()));
        Assert.Equal(term, applied.Term);

        var journal = ReadJournal(member);
        Assert.Contains(journal.OfType<EntriesAppended>(), ea => ea.Entries.Any(x => x.Index == 3 && x.Data == e.Data));
        // The latest hard state rides on the entries' row when it changed with them. Entry 3 commits only once that
        // row is durable, so the row says commit 2; the commit to 3 costs no write and rides on the next row.
        var states = journal.Select(x => x switch { HardStateSaved h => h.State, EntriesAppended { State: { } s } => s, _ => null }).OfType<HardState>();
        Assert.Equal(2UL, states.Last().Commit);
        Assert.Equal(3UL, journal.OfType<EntriesAppended>().Last().Entries[^1].Index);
    }

    /// <summary>
    /// A proposal bound to a leadership term (the lease manager's revocations and checkpoints) is appended only by this
    /// member as leader of that term: one bound to an earlier term is dropped, not appended in this one.
    /// </summary>
    [Fact]
    public async Task A_proposal_bound_to_another_leadership_term_is_dropped_and_one_bound_to_this_one_is_applied()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, _, _) = StartRaft();
        var term = AwaitLeadership(mvcc);
        raft.Tell(new RaftProtocol.Propose(7, ByteString.CopyFromUtf8("earlier term"), term - 1));
        raft.Tell(new RaftProtocol.Propose(8, ByteString.CopyFromUtf8("this term"), term));
        raft.Tell(new RaftProtocol.Propose(9, ByteString.CopyFromUtf8("unbound")));
        var applied = CollectApplied(mvcc, 4);
        Assert.Equal(["this term", "unbound"], applied.Select(e => e.Data.ToStringUtf8()));
    }

    [Fact]
    public async Task Many_proposals_are_group_committed_in_few_journal_writes()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, waits, member) = StartRaft();
        AwaitLeadership(mvcc);
        const int n = 2000;
        for (ulong i = 1; i <= n; i++)
        {
            waits.Register(i);
            raft.Tell(new RaftProtocol.Propose(i, ByteString.CopyFromUtf8($"v{i}")));
        }
        var applied = CollectApplied(mvcc, n + 2);
        Assert.Equal(Enumerable.Range(1, n).Select(i => $"v{i}"), applied.Select(x => x.Data.ToStringUtf8()));

        var writes = ReadJournal(member).OfType<EntriesAppended>().Count();
        Assert.True(writes <= n / 20, $"{n} proposals took {writes} journal writes; expected group commit");
        Assert.True(writes >= n / Settings.MaxBatchEntries, "batches exceed MaxBatchEntries");
    }

    [Fact]
    public async Task A_journal_write_failure_answers_the_waiter_as_ambiguous_applies_nothing_and_stops()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, waits, _) = StartRaft();
        AwaitLeadership(mvcc);
        Watch(raft);
        await Journal.OnWrite.Fail();
        try
        {
            var waiter = waits.Register(42)!;
            raft.Tell(new RaftProtocol.Propose(42, ByteString.CopyFromUtf8("doomed")));
            var ex = await Assert.ThrowsAsync<EtcdException>(() => waiter.Task.WaitAsync(Wait));
            // Its entry was in the failed write: it may have reached the disk all the same, so never a definite failure.
            Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, ex.Error);
            ExpectTerminated(raft, Wait);
            mvcc.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            await Journal.OnWrite.Pass();
        }
    }

    [Fact]
    public async Task A_restarted_actor_replays_its_log_and_leads_a_newer_term()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, waits, member) = StartRaft();
        var term = AwaitLeadership(mvcc);
        for (ulong i = 1; i <= 3; i++)
        {
            waits.Register(i);
            raft.Tell(new RaftProtocol.Propose(i, ByteString.CopyFromUtf8($"r{i}")));
        }
        CollectApplied(mvcc, 5);
        Watch(raft);
        Sys.Stop(raft);
        ExpectTerminated(raft, Wait);

        var (_, mvcc2, _, _) = StartRaft(id: member);
        var replay = CollectApplied(mvcc2, 6).Skip(1).ToList();
        Assert.Equal(["", "r1", "r2", "r3", ""], replay.Select(x => x.Data.ToStringUtf8()));
        Assert.Equal([term, term, term, term], replay.Take(4).Select(x => x.Term));
        Assert.True(replay[^1].Term > term, $"the restarted actor leads term {replay[^1].Term}, not one after {term}");
    }

    [Fact]
    public async Task Linearizable_reads_are_batched_into_read_index_rounds()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, _, _) = StartRaft();
        var term = AwaitLeadership(mvcc);
        var reads = Enumerable.Range(0, 10)
            .Select(_ => new MvccProtocol.ReadCommand(new RangeRequest(), new TaskCompletionSource<IMessage>()))
            .ToList();
        foreach (var r in reads) raft.Tell(new RaftProtocol.LinearizableRead(r));
        var served = new List<MvccProtocol.ReadCommand>();
        var rounds = 0;
        while (served.Count < reads.Count)
        {
            var at = mvcc.ExpectMsg<MvccProtocol.ReadAt>(Wait);
            Assert.Equal(2UL, at.Index);
            Assert.Equal(term, at.Term);
            served.AddRange(at.Reads);
            rounds++;
        }
        Assert.Equal(reads, served);
        Assert.True(rounds <= 3, $"{rounds} ReadIndex rounds for 10 concurrent reads");
    }

    [Fact]
    public async Task Status_is_filled_with_raft_fields_and_passed_to_mvcc()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, _, member) = StartRaft();
        AwaitLeadership(mvcc);
        var tcs = new TaskCompletionSource<StatusReport>();
        raft.Tell(new RaftProtocol.GetStatus(tcs));
        var fill = mvcc.ExpectMsg<MvccProtocol.FillStatus>(Wait);
        Assert.Same(tcs, fill.Completion);
        Assert.Equal((member, 2UL, 2UL, member), (fill.Partial.Leader, fill.Partial.RaftTerm, fill.Partial.RaftIndex, fill.Partial.Header.MemberId));
    }

    [Fact]
    public async Task Proposals_are_refused_when_too_much_is_committed_but_unapplied()
    {
        await Journal.OnWrite.Pass();
        var (raft, mvcc, waits, _) = StartRaft(Settings with { MaxCommittedUnapplied = 2 });
        AwaitLeadership(mvcc);
        // The store has applied the bootstrap entry; the leader's own entry (2) is committed, not yet applied.
        raft.Tell(new MvccProtocol.Applied(1), mvcc.Ref);
        for (ulong i = 1; i <= 2; i++)
        {
            waits.Register(i);
            raft.Tell(new RaftProtocol.Propose(i, ByteString.CopyFromUtf8("x")));
            mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait);
        }
        var refused = waits.Register(3)!;
        raft.Tell(new RaftProtocol.Propose(3, ByteString.CopyFromUtf8("x")));
        var ex = await Assert.ThrowsAsync<EtcdException>(() => refused.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.TooManyRequests, ex.Error);

        // Once MVCC reports progress, proposals flow again.
        raft.Tell(new MvccProtocol.Applied(4), mvcc.Ref);
        waits.Register(4);
        raft.Tell(new RaftProtocol.Propose(4, ByteString.CopyFromUtf8("ok")));
        Assert.Equal("ok", mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait).Entries[0].Data.ToStringUtf8());
    }

    [Fact]
    public async Task Leadership_is_published_on_the_event_stream()
    {
        await Journal.OnWrite.Pass();
        var listener = CreateTestProbe();
        Sys.EventStream.Subscribe(listener.Ref, typeof(RaftProtocol.LeaderChanged));
        var (_, _, _, member) = StartRaft();
        listener.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == member && l.Leader == member && l.Term == 2, Wait);
    }

    [Fact]
    public void Raft_types_are_bound_to_the_protobuf_serializer()
    {
        var ser = Sys.Serialization;
        foreach (IMessage m in new IMessage[] { new EntriesAppended(), new HardStateSaved(), new LogTruncatedFrom(), new SnapshotInstalled(), new Message() })
        {
            var s = Assert.IsType<ProtobufSerializer>(ser.FindSerializerFor(m));
            Assert.Equal(9002, s.Identifier);
        }
        var ea = new EntriesAppended();
        ea.Entries.Add(new Entry { Index = 5, Term = 2, Data = ByteString.CopyFromUtf8("d") });
        var serializer = (ProtobufSerializer)ser.FindSerializerFor(ea);
        var manifest = serializer.Manifest(ea);
        Assert.Equal("raftpb.EntriesAppended", manifest);
        Assert.Equal(ea, serializer.FromBinary(serializer.ToBinary(ea), manifest));
    }
}
