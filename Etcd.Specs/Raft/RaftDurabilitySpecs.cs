using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// What a member's messages may vouch for while its own write is in flight (etcd-io/raft 3.6's msgsAfterAppend):
/// a leader counts its own entries towards commit, and a candidate its own vote, only in Advance of the Ready that
/// made them durable. So the messages a leader's host sends before its fsync (Ready.MaySendBeforePersist) carry no
/// commit index that a crash of this member mid-write could undo, and no term it has not yet made durable.
/// </summary>
public class RaftDurabilitySpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftConfig OneVoterAndALearner() => new()
    {
        Id = 1,
        Voters = [1],
        Learners = [2],
        Random = new SeededRandomSource(7),
    };

    private static void DeliverTo(RaftNetwork net, ulong to)
    {
        foreach (var m in net.InFlight.Where(m => m.To == to).ToList())
        {
            net.InFlight.Remove(m);
            net.Step(m);
        }
    }

    private static void Settle(RaftNode n)
    {
        while (n.HasReady()) n.Advance(n.GetReady());
    }

    [Fact]
    public void A_single_voter_tells_its_learner_no_commit_index_covering_the_entries_it_is_writing()
    {
        var n = RaftNode.Create(OneVoterAndALearner());
        Settle(n);
        Assert.Equal(RaftRole.Leader, n.Role);
        // The learner has caught up: the leader streams to it.
        n.Step(new Message { Type = MessageType.MsgAppResp, From = 2, To = 1, Term = n.Term, Index = n.LastIndex });
        Settle(n);
        var durable = n.LastIndex;
        Assert.True(n.Propose(B("x")));
        var rd = n.GetReady();
        var x = Assert.Single(rd.Entries);
        Assert.Contains(rd.Messages, m => m is { Type: MessageType.MsgApp, To: 2 } && m.Entries.Count == 1);
        // Its host may send these before x is durable (etcd's leader does): none may say x is committed.
        Assert.All(rd.Messages, m => Assert.True(m.Commit <= durable, $"{m.Type} to {m.To} says commit {m.Commit} while only {durable} is durable"));
        Assert.DoesNotContain(rd.CommittedEntries, e => e.Index == x.Index);
        Assert.Equal(durable, n.CommitIndex);

        // Durable now: x commits, and the learner hears so.
        n.Advance(rd);
        Assert.Equal(x.Index, n.CommitIndex);
        var next = n.GetReady();
        Assert.Equal(x.Index, Assert.Single(next.CommittedEntries).Index);
        Assert.Contains(next.Messages, m => m is { Type: MessageType.MsgApp, To: 2 } && m.Commit == x.Index);
    }

    [Fact]
    public void A_single_voters_new_term_reaches_no_learner_before_it_is_durable()
    {
        var hard = new HardState { Term = 2, Vote = 1, Commit = 2 };
        var n = RaftNode.Create(OneVoterAndALearner(), new RaftRecoveredState(hard, [E(1, 1), E(2, 2)]));
        var rd = n.GetReady();
        // This Ready persists term 3; a message of term 3 sent with it could outlive a crash that brings the voter
        // back at term 2, free to lead term 3 again with other entries.
        Assert.Equal(3UL, rd.HardState!.Term);
        Assert.DoesNotContain(rd.Messages, m => m.Term > hard.Term);
        Assert.NotEqual(RaftRole.Leader, n.Role);
        n.Advance(rd);
        Assert.Equal((RaftRole.Leader, 3UL), (n.Role, n.Term));
        Assert.All(n.GetReady().Messages, m => Assert.Equal(3UL, m.Term));
    }

    [Fact]
    public void A_leader_of_three_sends_before_its_fsync_but_counts_itself_only_after()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        var before = net[1].CommitIndex;
        net[1].Propose(B("x"));
        // The leader's write is in flight; its MsgApps are already out (the host sends them before its fsync).
        Assert.True(net.BeginReady(1));
        Assert.Equal(2, net.InFlight.Count(m => m.Type == MessageType.MsgApp));
        // Follower 2 persists x and acknowledges: 2 of 3 have it only if the leader's own write counted already.
        DeliverTo(net, 2);
        net.ProcessReadies(id => id == 1);
        DeliverTo(net, 1);
        Assert.Equal(before, net[1].CommitIndex);
        net.CompleteReady(1);
        Assert.Equal(before + 1, net[1].CommitIndex);
    }
}
