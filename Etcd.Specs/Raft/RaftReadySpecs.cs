using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// What a Ready tells its host about durability: which write must be synced (<see cref="Ready.MustSync"/>, etcd-io/raft's
/// <c>MustSync</c>) and which messages may go before it is (<see cref="Ready.MessagesBeforePersist"/>, decided per message).
/// </summary>
public class RaftReadySpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftNetwork ElectedCluster()
    {
        var net = new RaftNetwork(7, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        return net;
    }

    [Fact]
    public void MustSync_is_etcds_rule_term_or_vote_changed_or_entries_appended()
    {
        var hs = new HardState { Term = 2, Vote = 1, Commit = 5 };
        Assert.False(Ready.MustSyncFor(hs, hs.Clone(), 0));
        Assert.False(Ready.MustSyncFor(new HardState { Term = 2, Vote = 1, Commit = 9 }, hs, 0)); // only the commit moved
        Assert.True(Ready.MustSyncFor(new HardState { Term = 3, Vote = 1, Commit = 5 }, hs, 0));
        Assert.True(Ready.MustSyncFor(new HardState { Term = 2, Vote = 3, Commit = 5 }, hs, 0));
        Assert.True(Ready.MustSyncFor(hs, hs.Clone(), 1));
    }

    [Fact]
    public void A_followers_commit_only_ready_need_not_be_synced_and_its_append_must()
    {
        var net = ElectedCluster();
        net[1].Propose(B("x"));
        Assert.True(net.BeginReady(1));
        net.CompleteReady(1);
        // The follower's Ready with the entry must be durable before it acknowledges it.
        net.Deliver(net.InFlight.FindIndex(m => m is { Type: MessageType.MsgApp, To: 2 }));
        var append = net[2].GetReady();
        Assert.Single(append.Entries);
        Assert.True(append.MustSync);
        Assert.Empty(append.MessagesBeforePersist);
        Assert.Equal(append.Messages, append.MessagesAfterPersist);
        net[2].Advance(append);
        // A later heartbeat only moves its commit index: nothing to sync.
        net[2].Step(new Message { Type = MessageType.MsgHeartbeat, From = 1, To = 2, Term = net[1].Term, Commit = net[2].LastIndex });
        var commitOnly = net[2].GetReady();
        Assert.Empty(commitOnly.Entries);
        Assert.NotNull(commitOnly.HardState);
        Assert.False(commitOnly.MustSync);
    }

    [Fact]
    public void A_leader_sends_its_appends_before_its_write_even_when_the_same_ready_holds_an_answer_that_must_wait()
    {
        var net = ElectedCluster();
        var leader = net[1];
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.False(leader.HasReady());
        // A member far behind asks for a pre-vote: it is refused (its log is not up to date); a proposal in the same Ready.
        leader.Step(new Message { Type = MessageType.MsgPreVote, From = 3, To = 1, Term = leader.Term + 1, Index = 0, LogTerm = 0 });
        Assert.True(leader.Propose(B("x")));
        var rd = leader.GetReady();
        Assert.Single(rd.Entries);
        Assert.True(rd.MustSync);
        // Each replication message may overlap the leader's own write; the answer waits for it (all-or-nothing
        // would have held the appends back behind it).
        Assert.Equal(2, rd.MessagesBeforePersist.Count(m => m.Type == MessageType.MsgApp));
        Assert.All(rd.MessagesBeforePersist, m => Assert.True(m.Type == MessageType.MsgApp, $"{m.Type} sent before the write"));
        Assert.Contains(rd.MessagesAfterPersist, m => m is { Type: MessageType.MsgPreVoteResp, To: 3, Reject: true });
        Assert.Equal(rd.Messages.Count, rd.MessagesBeforePersist.Count + rd.MessagesAfterPersist.Count);
        Assert.All(rd.Messages, m => Assert.Contains(m, rd.MessagesBeforePersist.Concat(rd.MessagesAfterPersist)));
    }
}
