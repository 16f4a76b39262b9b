using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

public class RaftNodeSpecs
{
    private static RaftConfig Cfg(ulong id, params ulong[] voters) => new()
    {
        Id = id,
        Voters = voters.Length == 0 ? [id] : voters,
        Random = new SeededRandomSource(42),
    };

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>Hands out and acknowledges every Ready, as a host with an instant disk would; returns them.</summary>
    private static List<Ready> Settle(RaftNode n)
    {
        var readies = new List<Ready>();
        while (n.HasReady())
        {
            var rd = n.GetReady();
            readies.Add(rd);
            n.Advance(rd);
        }
        return readies;
    }

    [Fact]
    public void A_single_voter_leads_once_its_vote_is_durable_and_commits_its_entry_once_that_is()
    {
        var n = RaftNode.Create(Cfg(1));
        // It campaigns at once, but its own vote counts only once term and vote are durable.
        Assert.Equal(RaftRole.Candidate, n.Role);
        var rd = n.GetReady();
        Assert.Equal(new HardState { Term = 1, Vote = 1 }, rd.HardState);
        Assert.True(rd.MustSync);
        Assert.Empty(rd.Entries);
        Assert.Empty(rd.Messages);
        n.Advance(rd);
        Assert.Equal(RaftRole.Leader, n.Role);

        rd = n.GetReady();
        // LeadStart names its empty entry: what the lease manager waits for the store to apply before promoting.
        Assert.Equal(new SoftState(1, RaftRole.Leader, 1), rd.SoftState);
        var e = Assert.Single(rd.Entries);
        Assert.Equal((1UL, 1UL), (e.Index, e.Term));
        // Not committed while its write is in flight: a crash now loses it.
        Assert.Empty(rd.CommittedEntries);
        Assert.Equal(0UL, n.CommitIndex);
        n.Advance(rd);
        Assert.Equal(1UL, n.CommitIndex);

        rd = n.GetReady();
        Assert.Equal(1UL, Assert.Single(rd.CommittedEntries).Index);
        Assert.Equal(new HardState { Term = 1, Vote = 1, Commit = 1 }, rd.HardState);
        Assert.False(rd.MustSync);
        n.Advance(rd);
        Assert.False(n.HasReady());
        Assert.Equal(1UL, n.AppliedIndex);
    }

    [Fact]
    public void A_single_voter_commits_a_proposal_once_its_write_is_durable()
    {
        var n = RaftNode.Create(Cfg(1));
        Settle(n);
        Assert.True(n.Propose(B("a")));
        Assert.True(n.Propose(B("b")));
        var rd = n.GetReady();
        Assert.Null(rd.SoftState);
        Assert.Equal(new[] { "a", "b" }, rd.Entries.Select(x => x.Data.ToStringUtf8()));
        Assert.Empty(rd.CommittedEntries);
        Assert.Null(rd.HardState);
        n.Advance(rd);
        Assert.Equal(3UL, n.CommitIndex);
        rd = n.GetReady();
        Assert.Equal(new[] { 2UL, 3UL }, rd.CommittedEntries.Select(x => x.Index));
        Assert.Equal(3UL, rd.HardState!.Commit);
        n.Advance(rd);
        Assert.Equal(3UL, n.AppliedIndex);
    }

    [Fact]
    public void Proposals_stepped_between_ready_and_advance_go_into_the_next_ready()
    {
        var n = RaftNode.Create(Cfg(1));
        n.Advance(n.GetReady());
        var first = n.GetReady();
        n.Propose(B("late"));
        Assert.False(n.HasReady());
        Assert.Throws<InvalidOperationException>(() => n.GetReady());
        n.Advance(first);
        var second = n.GetReady();
        Assert.Equal("late", Assert.Single(second.Entries).Data.ToStringUtf8());
        // The first Ready's entry is durable now; the late one only after this Ready.
        Assert.Equal(1UL, Assert.Single(second.CommittedEntries).Index);
        n.Advance(second);
        Assert.Equal(2UL, Assert.Single(n.GetReady().CommittedEntries).Index);
    }

    [Fact]
    public void Advance_without_a_ready_throws()
    {
        var n = RaftNode.Create(Cfg(1));
        var rd = n.GetReady();
        n.Advance(rd);
        Assert.Throws<InvalidOperationException>(() => n.Advance(rd));
    }

    [Fact]
    public void Recovery_restores_the_log_and_starts_a_newer_term()
    {
        var hs = new HardState { Term = 3, Vote = 1, Commit = 4 };
        var log = new[] { E(1, 1), E(2, 1, "x"), E(3, 2, "y"), E(4, 3, "z"), E(5, 3, "uncommitted") };
        var n = RaftNode.Create(Cfg(1), new RaftRecoveredState(hs, log));
        Assert.Equal((RaftRole.Candidate, 4UL), (n.Role, n.Term));
        var rd = n.GetReady();
        Assert.Equal(new HardState { Term = 4, Vote = 1, Commit = 4 }, rd.HardState);
        // The recovered ones are already durable: nothing to write but the new term and vote.
        Assert.Empty(rd.Entries);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, rd.CommittedEntries.Select(e => e.Index));
        n.Advance(rd);
        Assert.Equal(RaftRole.Leader, n.Role);
        Assert.Equal(6UL, n.LastIndex);
        rd = n.GetReady();
        Assert.Equal(6UL, Assert.Single(rd.Entries).Index);
        n.Advance(rd);
        rd = n.GetReady();
        Assert.Equal(new ulong[] { 5, 6 }, rd.CommittedEntries.Select(e => e.Index));
        Assert.Equal("uncommitted", rd.CommittedEntries[0].Data.ToStringUtf8());
    }

    [Fact]
    public void Recovery_with_an_applied_index_hands_out_only_later_entries()
    {
        var hs = new HardState { Term = 1, Vote = 1, Commit = 3 };
        var n = RaftNode.Create(Cfg(1) with { Applied = 3 }, new RaftRecoveredState(hs, [E(1, 1), E(2, 1), E(3, 1)]));
        Assert.Equal(4UL, Assert.Single(Settle(n).SelectMany(rd => rd.CommittedEntries)).Index);
    }

    [Fact]
    public void A_single_voter_answers_read_index_with_its_commit_index()
    {
        var n = RaftNode.Create(Cfg(1));
        n.Advance(n.GetReady());
        n.Propose(B("a"));
        n.Advance(n.GetReady());
        Assert.True(n.ReadIndex(B("ctx")));
        var rd = n.GetReady();
        var rs = Assert.Single(rd.ReadStates);
        Assert.Equal(2UL, rs.Index);
        Assert.Equal("ctx", rs.Context.ToStringUtf8());
    }

    [Fact]
    public void A_follower_without_leader_refuses_proposals_and_reads()
    {
        var n = RaftNode.Create(Cfg(1, 1, 2, 3));
        Assert.Equal(RaftRole.Follower, n.Role);
        Assert.False(n.Propose(B("a")));
        Assert.False(n.ReadIndex(B("r")));
    }

    [Fact]
    public void A_higher_term_makes_anyone_a_follower_and_clears_the_vote()
    {
        var n = RaftNode.Create(Cfg(1));
        Settle(n);
        Assert.Equal(RaftRole.Leader, n.Role);
        n.Step(new Message { Type = MessageType.MsgHeartbeat, From = 2, To = 1, Term = 5 });
        Assert.Equal(RaftRole.Follower, n.Role);
        Assert.Equal(5UL, n.Term);
        Assert.Equal(0UL, n.Vote);
        Assert.Equal(2UL, n.Lead);
    }

    [Fact]
    public void A_stale_leader_is_told_the_newer_term()
    {
        var n = RaftNode.Create(Cfg(1, 1, 2, 3) with { PreVote = true });
        n.Step(new Message { Type = MessageType.MsgHeartbeat, From = 2, To = 1, Term = 4 });
        n.Advance(n.GetReady());
        n.Step(new Message { Type = MessageType.MsgApp, From = 3, To = 1, Term = 2 });
        var m = Assert.Single(n.GetReady().Messages);
        Assert.Equal(MessageType.MsgAppResp, m.Type);
        Assert.Equal(4UL, m.Term);
        Assert.Equal(3UL, m.To);
        Assert.Equal(4UL, n.Term);
    }

    [Fact]
    public void Votes_go_to_the_first_up_to_date_candidate_only()
    {
        var hs = new HardState { Term = 2, Commit = 0 };
        var n = RaftNode.Create(Cfg(1, 1, 2, 3, 4) with { CheckQuorum = false, PreVote = false },
            new RaftRecoveredState(hs, [E(1, 1), E(2, 2)]));

        // Stale log (last term 1) is refused even though it has more entries.
        n.Step(new Message { Type = MessageType.MsgVote, From = 2, To = 1, Term = 3, Index = 9, LogTerm = 1 });
        // Up to date: granted.
        n.Step(new Message { Type = MessageType.MsgVote, From = 3, To = 1, Term = 3, Index = 2, LogTerm = 2 });
        // Another candidate in the same term: refused.
        n.Step(new Message { Type = MessageType.MsgVote, From = 4, To = 1, Term = 3, Index = 5, LogTerm = 3 });
        // The same candidate again (a retransmission): granted again.
        n.Step(new Message { Type = MessageType.MsgVote, From = 3, To = 1, Term = 3, Index = 2, LogTerm = 2 });

        var answers = n.GetReady().Messages.Select(m => (m.To, m.Type, m.Reject)).ToList();
        Assert.Equal(
        [
            (2UL, MessageType.MsgVoteResp, true),
            (3UL, MessageType.MsgVoteResp, false),
            (4UL, MessageType.MsgVoteResp, true),
            (3UL, MessageType.MsgVoteResp, false),
        ], answers);
        Assert.Equal(3UL, n.Vote);
    }

    [Fact]
    public void Pre_vote_campaigns_without_bumping_the_term()
    {
        var n = RaftNode.Create(Cfg(1, 1, 2, 3) with { PreVote = true });
        for (var i = 0; i < 20 && n.Role == RaftRole.Follower; i++) n.Tick();
        Assert.Equal(RaftRole.PreCandidate, n.Role);
        Assert.Equal(0UL, n.Term);
        var msgs = n.GetReady().Messages;
        Assert.Equal(2, msgs.Count);
        Assert.All(msgs, m => Assert.Equal((MessageType.MsgPreVote, 1UL), (m.Type, m.Term)));
    }

    [Fact]
    public void Election_timeout_is_randomized_within_one_to_two_election_ticks()
    {
        var seen = new HashSet<int>();
        for (ulong seed = 0; seed < 40; seed++)
        {
            var n = RaftNode.Create(new RaftConfig { Id = 1, Voters = [1, 2, 3], PreVote = false, Random = new SeededRandomSource(seed) });
            var ticks = 0;
            while (n.Role == RaftRole.Follower) { n.Tick(); ticks++; }
            Assert.InRange(ticks, 10, 19);
            seen.Add(ticks);
        }
        Assert.True(seen.Count > 3, "timeouts are not randomized");
    }
}
