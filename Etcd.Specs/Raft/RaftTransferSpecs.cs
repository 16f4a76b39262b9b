using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>Leader transfer (MsgTimeoutNow): catch the transferee up, let it campaign at once, give up after an election timeout.</summary>
public class RaftTransferSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftNetwork Elected(bool preVote = false, bool checkQuorum = false)
    {
        var net = new RaftNetwork(17, preVote, checkQuorum, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net[1].Propose(B("a"));
        net.Stabilize();
        return net;
    }

    [Fact]
    public void An_up_to_date_follower_is_told_to_campaign_at_once_and_wins()
    {
        var net = Elected();
        net[1].TransferLeader(2);
        Assert.Equal(2UL, net[1].LeadTransferee);
        net.ProcessReadies();
        var m = Assert.Single(net.InFlight);
        Assert.Equal((MessageType.MsgTimeoutNow, 1UL, 2UL), (m.Type, m.From, m.To));

        net.Stabilize();
        Assert.Equal((RaftRole.Leader, 2UL), (net[2].Role, net[2].Term));
        Assert.All(net.Nodes.Values, n => Assert.Equal(2UL, n.Lead));
        Assert.Equal(0UL, net[1].LeadTransferee);
        Assert.True(net[2].Propose(B("b")));
        net.Stabilize();
        Assert.Equal("b", net.Applied[1][^1].Data.ToStringUtf8());
    }

    [Fact]
    public void A_lagging_follower_is_caught_up_before_it_is_told_to_campaign()
    {
        var net = Elected();
        net.Drop = m => m.To == 3;
        for (var i = 0; i < 6; i++) net[1].Propose(B($"x{i}"));
        net.Stabilize();
        net.Drop = _ => false;
        Assert.True(net[1].ProgressOf(3)!.Match < net[1].LastIndex);

        net[1].TransferLeader(3);
        net.ProcessReadies();
        Assert.DoesNotContain(net.InFlight, m => m.Type == MessageType.MsgTimeoutNow);
        var sent = new List<MessageType>();
        for (var round = 0; round < 20 && net.InFlight.Count + (net.ProcessReadies() ? 1 : 0) > 0; round++)
        {
            foreach (var m in net.InFlight.ToList())
            {
                if (m.From == 1 && m.To == 3) sent.Add(m.Type);
                net.InFlight.Remove(m);
                net.Step(m);
            }
        }
        // Appends first; the timeout only once 3's match reached the leader's last index.
        Assert.Equal(MessageType.MsgTimeoutNow, sent.Last(t => t is MessageType.MsgApp or MessageType.MsgTimeoutNow));
        Assert.Contains(MessageType.MsgApp, sent);
        Assert.Equal(RaftRole.Leader, net[3].Role);
        Assert.Equal("x5", net.Applied[3].Last(e => !e.Data.IsEmpty).Data.ToStringUtf8());
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(9UL)]
    public void A_transfer_to_itself_or_an_unknown_member_is_ignored(ulong to)
    {
        var net = Elected();
        net[1].TransferLeader(to);
        Assert.Equal(0UL, net[1].LeadTransferee);
        Assert.True(net[1].Propose(B("still leading")));
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        Assert.Equal(1UL, net[1].Term);
    }

    [Fact]
    public void A_transfer_is_abandoned_after_an_election_timeout_and_proposals_flow_again()
    {
        var net = Elected();
        net.Drop = m => m.To == 3;
        net[1].TransferLeader(3);
        Assert.Equal(3UL, net[1].LeadTransferee);
        Assert.False(net[1].Propose(B("refused")));
        Assert.Equal(RaftNode.ConfChangeRefusal.Transferring, net[1].ProposeConfChange(Remove(2)));
        for (var i = 0; i < 9; i++) net.Tick(1);
        Assert.Equal(3UL, net[1].LeadTransferee);
        net.Tick(1);
        Assert.Equal(0UL, net[1].LeadTransferee);
        Assert.True(net[1].Propose(B("accepted")));
        net.Stabilize();
        Assert.Equal("accepted", net.Applied[2][^1].Data.ToStringUtf8());
        Assert.DoesNotContain(net.Applied[2], e => e.Data.ToStringUtf8() == "refused");
    }

    [Fact]
    public void A_transfer_works_with_pre_vote_and_check_quorum_while_voters_hear_the_old_leader()
    {
        var net = Elected(preVote: true, checkQuorum: true);
        net.TickAll();
        net.Stabilize();
        // 3 heard from 1 within the election timeout: an ordinary vote request would be ignored by it.
        net[1].TransferLeader(2);
        net.Stabilize();
        Assert.Equal((RaftRole.Leader, 2UL), (net[2].Role, net[2].Term));
        Assert.Equal(2UL, net[3].Lead);
        Assert.Equal(2UL, net[1].Lead);
    }

    [Fact]
    public void A_transfer_asked_of_a_follower_goes_to_the_leader_for_the_named_member()
    {
        var net = Elected();
        net[2].TransferLeader(3);
        net.ProcessReadies();
        var forwarded = Assert.Single(net.InFlight);
        // As in etcd-io/raft, the forwarded request names the transferee in From.
        Assert.Equal((MessageType.MsgTransferLeader, 3UL, 1UL), (forwarded.Type, forwarded.From, forwarded.To));
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[3].Role);
        Assert.Equal(RaftRole.Follower, net[2].Role);
    }

    [Fact]
    public void A_transfer_to_another_member_replaces_the_one_in_progress()
    {
        var net = Elected();
        net.Drop = m => m.To == 3;
        net[1].TransferLeader(3);
        net[1].TransferLeader(3);
        Assert.Equal(3UL, net[1].LeadTransferee);
        net.Drop = _ => false;
        net[1].TransferLeader(2);
        Assert.Equal(2UL, net[1].LeadTransferee);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[2].Role);
    }

    [Fact]
    public void A_transfer_to_a_member_that_is_removed_meanwhile_is_abandoned()
    {
        var net = RaftConfChangeSpecs.Elected(3);
        // Commit the removal of 3 on 1 and 2 while 3 hears nothing, then ask for 3 before 1 applies it.
        net.Drop = m => m.To == 3;
        Assert.Null(net[1].ProposeConfChange(Remove(3)));
        net.ProcessReadies();
        net.Deliver(0);
        net.ProcessReadies(); // 2 acks
        net.Deliver(0);       // the leader commits the removal...
        net[1].TransferLeader(3);
        Assert.Equal(3UL, net[1].LeadTransferee);
        net.ProcessReadies(); // ...and hands it out
        Assert.Equal(new ClusterConfig([1, 2]), net[1].Config);
        Assert.Equal(0UL, net[1].LeadTransferee);
        Assert.True(net[1].Propose(B("flows")));
    }

    [Fact]
    public void A_transferee_with_a_committed_but_unapplied_conf_change_does_not_campaign_on_it()
    {
        var net = RaftConfChangeSpecs.Elected(3);
        net.AddNode(4);
        Assert.Null(net[1].ProposeConfChange(AddLearner(4)));
        // Replicate and commit the change, then let 2 learn the commit without handing it out yet.
        net.ProcessReadies();
        foreach (var m in net.InFlight.ToList()) { net.InFlight.Remove(m); net.Step(m); }
        net.ProcessReadies();
        foreach (var m in net.InFlight.ToList()) { net.InFlight.Remove(m); net.Step(m); }
        Assert.Equal(net[1].LastIndex, net[1].CommitIndex);
        net.ProcessReadies();
        foreach (var m in net.InFlight.Where(m => m.To == 2).ToList()) { net.InFlight.Remove(m); net.Step(m); }
        Assert.Equal(net[1].CommitIndex, net[2].CommitIndex);
        Assert.Equal(new ClusterConfig([1, 2, 3]), net[2].Config);

        // Campaigning now would count votes with a configuration already replaced (etcd-io/raft's hup refuses too).
        var term = net[2].Term;
        net[2].Step(new Message { Type = MessageType.MsgTimeoutNow, From = 1, To = 2, Term = term });
        Assert.Equal((RaftRole.Follower, term), (net[2].Role, net[2].Term));

        // The request is kept: once the change is handed out, 2 campaigns with the configuration it made.
        net.ProcessReadies();
        Assert.Equal(new ClusterConfig([1, 2, 3], [4]), net[2].Config);
        Assert.Equal((RaftRole.Candidate, term + 1), (net[2].Role, net[2].Term));
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[2].Role);
    }

    [Fact]
    public void A_deferred_timeout_now_is_dropped_when_the_term_moves_on()
    {
        var n = RaftNode.Create(new RaftConfig { Id = 2, Voters = [1, 2, 3], PreVote = false, CheckQuorum = false, Random = new SeededRandomSource(2) },
            new RaftRecoveredState(new HardState { Term = 1, Commit = 0 }, [E(1, 1)]));
        var app = new Message { Type = MessageType.MsgApp, From = 1, To = 2, Term = 1, Index = 1, LogTerm = 1, Commit = 2 };
        app.Entries.Add(new Entry { Index = 2, Term = 1, Type = EntryType.EntryConfChange, Data = AddLearner(4).ToByteString() });
        n.Step(app);
        n.Step(new Message { Type = MessageType.MsgTimeoutNow, From = 1, To = 2, Term = 1 });
        Assert.Equal(RaftRole.Follower, n.Role);
        // A newer leader shows up before the change is handed out: the old leader's request is void.
        n.Step(new Message { Type = MessageType.MsgHeartbeat, From = 3, To = 2, Term = 2, Commit = 2 });
        n.Advance(n.GetReady());
        Assert.Equal((RaftRole.Follower, 2UL, 3UL), (n.Role, n.Term, n.Lead));
    }

    [Fact]
    public void A_stale_timeout_now_from_an_older_term_is_ignored()
    {
        var net = Elected();
        net.Campaign(2);
        net.Stabilize();
        Assert.Equal((RaftRole.Leader, 2UL), (net[2].Role, net[2].Term));
        net[3].Step(new Message { Type = MessageType.MsgTimeoutNow, From = 1, To = 3, Term = 1 });
        Assert.Equal((RaftRole.Follower, 2UL), (net[3].Role, net[3].Term));
    }
}
