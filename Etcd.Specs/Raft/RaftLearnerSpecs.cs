using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>Learners receive the log but have no say: no commit quorum, no ReadIndex quorum, no check-quorum, no campaign.</summary>
public class RaftLearnerSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>Voters 1..3 (1 leads) and learner 4, caught up.</summary>
    private static RaftNetwork WithLearner(bool preVote = false, bool checkQuorum = false)
    {
        var net = RaftConfChangeSpecs.Elected(3, preVote, checkQuorum);
        net.AddNode(4);
        Assert.Null(net[1].ProposeConfChange(AddLearner(4)));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        Assert.True(net[4].IsLearner);
        Assert.Equal(net[1].CommitIndex, net[4].CommitIndex);
        return net;
    }

    [Fact]
    public void A_learner_is_replicated_to_and_applies_what_the_voters_apply()
    {
        var net = WithLearner();
        var pr = net[1].ProgressOf(4)!;
        Assert.True(pr.IsLearner);
        Assert.Equal(ProgressState.Replicate, pr.State);
        for (var i = 0; i < 6; i++) net[1].Propose(B($"v{i}"));
        net.Stabilize();
        Assert.Equal(net.Applied[1].Select(RaftConfChangeSpecs.Show), net.Applied[4].Select(RaftConfChangeSpecs.Show));
    }

    [Fact]
    public void Learners_do_not_count_towards_a_commit()
    {
        var net = WithLearner();
        net.AddNode(5);
        net[1].ProposeConfChange(AddLearner(5));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        // Only the learners hear the leader: the leader and two learners would be three of five members,
        // but one voter of three is no quorum.
        net.Drop = m => m.To is 2 or 3;
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Equal(net[1].LastIndex, net[1].ProgressOf(4)!.Match);
        Assert.Equal(net[1].LastIndex, net[1].ProgressOf(5)!.Match);
        Assert.Equal(net[1].LastIndex - 1, net[1].CommitIndex);

        net.Drop = m => m.To is 3;
        net.TickAll();
        net.Stabilize();
        Assert.Equal(net[1].LastIndex, net[1].CommitIndex);
    }

    [Fact]
    public void A_learner_does_not_confirm_a_read_index()
    {
        var net = WithLearner();
        net.Drop = m => m.To is 2 or 3;
        Assert.True(net.ReadIndex(1, B("r")));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        Assert.Empty(net.ReadStates[1]);

        net.Drop = _ => false;
        net.TickAll();
        net.Stabilize();
        Assert.Equal("r", Assert.Single(net.ReadStates[1]).Context.ToStringUtf8());
    }

    [Fact]
    public void A_learner_can_ask_for_a_read_index_through_the_leader()
    {
        var net = WithLearner();
        Assert.True(net.ReadIndex(4, B("l")));
        net.Stabilize();
        Assert.Equal((net[1].CommitIndex, "l"), Assert.Single(net.ReadStates[4]) is var rs ? (rs.Index, rs.Context.ToStringUtf8()) : default);
    }

    [Fact]
    public void A_learner_does_not_keep_a_leader_in_power_under_check_quorum()
    {
        var net = WithLearner(preVote: true, checkQuorum: true);
        net.Drop = m => (m.From == 1 && m.To is 2 or 3) || (m.To == 1 && m.From is 2 or 3);
        for (var i = 0; i < 25; i++)
        {
            net.Tick(1);
            net.Tick(4);
            net.Stabilize();
        }
        // The learner answered every heartbeat, but two election timeouts without a voter end the leadership.
        Assert.NotEqual(RaftRole.Leader, net[1].Role);
    }

    [Fact]
    public void A_learner_never_campaigns()
    {
        var net = WithLearner();
        net.Retire(1);
        for (var i = 0; i < 100; i++)
        {
            net.Tick(4);
            net.Stabilize();
        }
        Assert.Equal(RaftRole.Follower, net[4].Role);
        Assert.Empty(net.InFlight);
        // Not even when asked to take over.
        var before = net[4].Term;
        net[4].Step(new Message { Type = MessageType.MsgTimeoutNow, From = 1, To = 4, Term = before });
        Assert.Equal((RaftRole.Follower, before), (net[4].Role, net[4].Term));
        net.Campaign(4);
        Assert.Equal((RaftRole.Follower, before), (net[4].Role, net[4].Term));
    }

    [Fact]
    public void A_learner_grants_votes_because_the_candidate_may_know_it_is_promoted()
    {
        // etcd-io/raft campaign_learner_must_vote: a learner that has not yet applied its promotion is
        // still asked by candidates that have; refusing could leave a quorum of voters unable to elect.
        var net = WithLearner();
        var m = new Message { Type = MessageType.MsgVote, From = 2, To = 4, Term = net[4].Term + 1, Index = net[4].LastIndex, LogTerm = net[4].Log.LastTerm };
        net[4].Step(m);
        net.ProcessReadies();
        var answer = Assert.Single(net.InFlight, x => x.From == 4);
        Assert.Equal((MessageType.MsgVoteResp, false), (answer.Type, answer.Reject));
    }

    [Fact]
    public void A_candidate_neither_asks_a_learner_for_its_vote_nor_counts_it()
    {
        var net = WithLearner();
        net.Retire(1);
        net.Campaign(2);
        net.ProcessReadies();
        // The voters (1 is down but still one), not the learner.
        Assert.Equal([1UL, 3UL], net.InFlight.Where(m => m.Type == MessageType.MsgVote).Select(m => m.To).Order());
        net.InFlight.Clear();
        // Even a granted vote from the learner does not make two of three voters.
        net.Step(new Message { Type = MessageType.MsgVoteResp, From = 4, To = 2, Term = net[2].Term });
        Assert.Equal(RaftRole.Candidate, net[2].Role);
        net.Step(new Message { Type = MessageType.MsgVoteResp, From = 3, To = 2, Term = net[2].Term });
        Assert.Equal(RaftRole.Leader, net[2].Role);
    }

    [Fact]
    public void A_promoted_learner_counts_and_can_campaign()
    {
        var net = WithLearner();
        Assert.Null(net[1].ProposeConfChange(AddVoter(4)));
        net.Stabilize();
        Assert.All(net.Nodes.Values, n => Assert.Equal(new ClusterConfig([1, 2, 3, 4]), n.Config));
        Assert.False(net[1].ProgressOf(4)!.IsLearner);

        // Four voters: the leader needs two more than itself.
        net.Drop = m => m.To is 2 or 3;
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Equal(net[1].LastIndex - 1, net[1].CommitIndex);
        net.Drop = m => m.To is 3;
        net.TickAll();
        net.Stabilize();
        Assert.Equal(net[1].LastIndex, net[1].CommitIndex);

        net.Drop = _ => false;
        net.Campaign(4);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[4].Role);
    }

    [Fact]
    public void Leadership_cannot_be_transferred_to_a_learner()
    {
        var net = WithLearner();
        net[1].TransferLeader(4);
        Assert.Equal(0UL, net[1].LeadTransferee);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
    }
}
