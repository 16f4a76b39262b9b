using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// A proposal appended by a leader that then loses leadership (AppendedProposals.cs), seen from that member
/// (A) of five, whose peers are forged: A leads term T and appends X at index i; C wins T+1 (with D and E) and
/// writes Y at i on A only. Whether X is lost is not known then: the entry committed at i decides it.
/// </summary>
public sealed class RaftActorLostProposalSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const ulong Cluster = 0xc1a5;
    private const ulong ProposalId = 77;
    private static readonly ByteString X = ByteString.CopyFromUtf8("X");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static ulong _nextBase = 0x7000;

    public RaftActorLostProposalSpecs() : base(RaftActorSpecs.TestJournalConfig, "raft-actor-lost-proposal-specs")
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));

    // No tick ever fires: A campaigns only when told (MsgTimeoutNow), and as leader check-quorum never demotes it.
    private static RaftSettings Settings => RaftSettings.Default with { TickInterval = TimeSpan.FromHours(1) };

    /// <summary>A at term T with X appended at (I, T) after its empty entry at (I - 1, T); nothing of term T committed.</summary>
    private sealed record Scene(IActorRef Raft, TestProbe Mvcc, WaitRegistry Waits, TaskCompletionSource<IMessage> Waiter,
        ulong A, ulong B, ulong C, ulong T, ulong I);

    /// <summary>Tells the probe about every EntriesAppended the journal is asked to write.</summary>
    private sealed class ReportWrites(IActorRef to) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (message.Payload is EntriesAppended ea) to.Tell(ea);
            return Task.CompletedTask;
        }
    }

    private void FromPeer(IActorRef raft, ulong to, Message m) =>
        raft.Tell(new PeerEnvelope { ClusterId = Cluster, To = to, From = m.From, Raft = m });

    /// <summary>
    /// What the actor reports once it has handled everything sent to it before (actor mailbox order): the store
    /// probe receives the FillStatus after any ApplyCommitted the earlier messages produced.
    /// </summary>
    private static StatusReport Status(IActorRef raft, TestProbe mvcc)
    {
        raft.Tell(new RaftProtocol.GetStatus(new TaskCompletionSource<StatusReport>()));
        return mvcc.FishForMessage<MvccProtocol.FillStatus>(_ => true, Wait).Partial;
    }

    /// <summary>Entries handed to the store, up to <paramref name="upTo"/> (other messages to the store skipped).</summary>
    private static List<Entry> Applied(TestProbe mvcc, ulong upTo)
    {
        var entries = new List<Entry>();
        while (entries.Count == 0 || entries[^1].Index < upTo)
            entries.AddRange(mvcc.FishForMessage<MvccProtocol.ApplyCommitted>(_ => true, Wait).Entries);
        Assert.Equal(upTo, entries[^1].Index);
        return entries;
    }

    private async Task<Scene> LeaderWithUncommittedProposal()
    {
        await Journal.OnWrite.Pass();
        var written = CreateTestProbe();
        await Journal.OnWrite.SetInterceptorAsync(new ReportWrites(written.Ref));
        var first = Interlocked.Add(ref _nextBase, 0x10);
        ulong a = first + 1, b = first + 2, c = first + 3, d = first + 4, e = first + 5;
        var mvcc = CreateTestProbe();
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccProtocol.RaftStarted);
        var waits = new WaitRegistry(1000);
        var member = RaftMember.NewCluster(a, [a, b, c, d, e]) with { ClusterId = Cluster };
        var raft = Sys.ActorOf(RaftActor.Props(Settings, member, mvcc.Ref, waits));

        // The five bootstrap conf changes are committed and handed out: A may campaign.
        var bootstrap = Applied(mvcc, 5);
        Assert.All(bootstrap, x => Assert.Equal(EntryType.EntryConfChange, x.Type));
        var t0 = Status(raft, mvcc).RaftTerm;

        var leaders = CreateTestProbe();
        Sys.EventStream.Subscribe(leaders.Ref, typeof(RaftProtocol.LeaderChanged));
        FromPeer(raft, a, new Message { Type = MessageType.MsgTimeoutNow, Term = t0, From = b, To = a });
        var t = t0 + 1;
        Assert.Equal(t, Status(raft, mvcc).RaftTerm); // A is a candidate for T
        foreach (var voter in new[] { b, c })
            FromPeer(raft, a, new Message { Type = MessageType.MsgVoteResp, Term = t, From = voter, To = a });
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == a && l.Leader == a && l.Term == t, Wait);
        var empty = written.FishForMessage<EntriesAppended>(ea => ea.Entries.Any(x => x.Term == t), Wait).Entries[^1];
        Assert.True(empty.Data.IsEmpty);

        var waiter = waits.Register(ProposalId)!;
        raft.Tell(new RaftProtocol.Propose(ProposalId, X));
        var x = written.FishForMessage<EntriesAppended>(ea => ea.Entries.Any(y => y.Data == X), Wait).Entries.Single(y => y.Data == X);
        Assert.Equal((empty.Index + 1, t), (x.Index, x.Term));
        return new Scene(raft, mvcc, waits, waiter, a, b, c, t, x.Index);
    }

    /// <summary>
    /// C, leader of T+1 (elected by C, D and E, which hold A's empty entry but not X), replaces X at I with its own
    /// empty entry Y and commits I - 1 (that entry of A's is on A, C, D and E). A applies I - 1; X stays undecided.
    /// </summary>
    private void OverwrittenByC(Scene s)
    {
        FromPeer(s.Raft, s.A, new Message
        {
            Type = MessageType.MsgApp, Term = s.T + 1, From = s.C, To = s.A, Index = s.I - 1, LogTerm = s.T, Commit = s.I - 1,
            Entries = { new Entry { Type = EntryType.EntryNormal, Index = s.I, Term = s.T + 1 } },
        });
        var applied = Applied(s.Mvcc, s.I - 1);
        Assert.Equal((s.I - 1, s.T), (applied[^1].Index, applied[^1].Term));
        var status = Status(s.Raft, s.Mvcc);
        Assert.Equal((s.C, s.T + 1, s.I - 1), (status.Leader, status.RaftTerm, status.RaftIndex));
        // Replaced in A's log, but B still holds X and may yet commit it: no verdict for the client yet.
        Assert.False(s.Waiter.Task.IsCompleted, $"the waiter of X was answered when Y replaced it: {s.Waiter.Task.Exception?.InnerException?.Message}");
    }

    [Fact]
    public async Task A_proposal_replaced_in_the_local_log_is_not_failed_and_completes_when_a_later_leader_commits_it()
    {
        var s = await LeaderWithUncommittedProposal();
        OverwrittenByC(s);

        // C crashed. B, whose last entry is X at (I, T), wins T+2 with D and E, sends X and its own empty entry, and
        // commits both (its term's entry at I + 1 commits X with it).
        FromPeer(s.Raft, s.A, new Message
        {
            Type = MessageType.MsgApp, Term = s.T + 2, From = s.B, To = s.A, Index = s.I - 1, LogTerm = s.T, Commit = s.I + 1,
            Entries =
            {
                new Entry { Type = EntryType.EntryNormal, Index = s.I, Term = s.T, Data = X },
                new Entry { Type = EntryType.EntryNormal, Index = s.I + 1, Term = s.T + 2 },
            },
        });
        var applied = Applied(s.Mvcc, s.I + 1);
        var x = Assert.Single(applied, e => e.Index == s.I);
        Assert.Equal((s.T, X), (x.Term, x.Data));
        var status = Status(s.Raft, s.Mvcc);
        Assert.Equal((s.B, s.T + 2, s.I + 1), (status.Leader, status.RaftTerm, status.RaftIndex));
        Assert.False(s.Waiter.Task.IsCompleted, $"the waiter of X was answered by raft although X committed: {s.Waiter.Task.Exception?.InnerException?.Message}");

        // The store applies X and answers its waiter (as MvccStoreActor does): the client hears of its write.
        var response = new PutResponse { Header = new ResponseHeader { Revision = 2 } };
        Assert.True(s.Waits.Trigger(ProposalId, response));
        Assert.Same(response, await s.Waiter.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task A_proposal_whose_index_is_committed_with_another_terms_entry_fails_with_leader_changed()
    {
        var s = await LeaderWithUncommittedProposal();
        OverwrittenByC(s);

        // C stays and commits its own entry Y at I: X will never be applied.
        FromPeer(s.Raft, s.A, new Message
        {
            Type = MessageType.MsgApp, Term = s.T + 1, From = s.C, To = s.A, Index = s.I, LogTerm = s.T + 1, Commit = s.I,
        });
        var y = Assert.Single(Applied(s.Mvcc, s.I));
        Assert.Equal((s.I, s.T + 1), (y.Index, y.Term));
        var ex = await Assert.ThrowsAsync<EtcdException>(() => s.Waiter.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.LeaderChanged, ex.Error);
    }
}
