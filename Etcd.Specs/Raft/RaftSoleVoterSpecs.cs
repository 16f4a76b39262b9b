using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// A member that a removal leaves as the only voter leads as soon as its vote is durable, without an election
/// timeout (etcd-io/raft: a single voter wins on its own vote). No tick is given in these specs, so a member that
/// waited for its election timer would never lead.
/// <para>
/// A candidate whose configuration shrinks under it while its own vote is already counted cannot occur: a
/// configuration changes only when a committed conf change is handed out (GetReady, or a snapshot, which makes
/// a candidate a follower first); a member does not campaign while a committed change is still to be handed out
/// (Hup and MsgTimeoutNow both wait for it), and a candidate's commit index cannot move (any message that would
/// move it makes it a follower). So the configuration a candidate campaigns with is the one it tallies its votes
/// in, and its own vote, stepped in Advance, is counted in it; Advance campaigns at once for a follower or
/// pre-candidate left alone.
/// </para>
/// </summary>
public class RaftSoleVoterSpecs
{
    [Fact]
    public void The_follower_left_alone_by_the_leaders_removal_leads_without_an_election_timeout()
    {
        var net = RaftConfChangeSpecs.Elected(2);
        var term = net[1].Term;
        Assert.Null(net[1].ProposeConfChange(Remove(1)));
        net.Stabilize();

        Assert.Equal(new ClusterConfig([2]), net[2].Config);
        Assert.Equal((RaftRole.Leader, term + 1), (net[2].Role, net[2].Term));
    }

    [Fact]
    public void A_follower_left_alone_leads_even_when_the_leaders_hand_over_arrives_before_the_commit()
    {
        var net = RaftConfChangeSpecs.Elected(2);
        Assert.Null(net[1].ProposeConfChange(Remove(1)));
        // The removal reaches 2 and is acked; the leader commits it and hands it out, which makes it hand over.
        for (var i = 0; i < 50 && !net.InFlight.Any(m => m.Type == MessageType.MsgTimeoutNow); i++)
        {
            net.ProcessReadies();
            if (net.InFlight.Count > 0 && !net.InFlight.Any(m => m.Type == MessageType.MsgTimeoutNow)) net.Deliver(0);
        }
        // Deliver the hand-over first: 2 has not learned the commit yet, so it campaigns with both voters.
        net.Deliver(net.InFlight.FindIndex(m => m.Type == MessageType.MsgTimeoutNow));
        net.Stabilize();

        Assert.Equal(RaftRole.Leader, net[2].Role);
        Assert.Equal(new ClusterConfig([2]), net[2].Config);
    }

    [Fact]
    public void The_remaining_voter_after_removing_the_other_goes_on_leading_and_commits_alone()
    {
        var net = RaftConfChangeSpecs.Elected(2);
        Assert.Null(net[1].ProposeConfChange(Remove(2)));
        net.Stabilize();
        net.Drop = m => m.To == 2; // the removed member is gone
        Assert.True(net[1].Propose(Google.Protobuf.ByteString.CopyFromUtf8("alone")));
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        Assert.Equal(net[1].LastIndex, net[1].CommitIndex);
    }
}
