using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// The test network's safety checks fire on a violation (fabricated here by forging durable state or
/// messages), so a simulation that stays green means something.
/// </summary>
public class RaftNetworkSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Message Vote(ulong from, ulong to, ulong term) => new() { Type = MessageType.MsgVoteResp, From = from, To = to, Term = term };

    [Fact]
    public void Two_leaders_in_one_term_violate_election_safety()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        // Each candidate's own vote counts once its host has made it durable.
        net.ProcessReadies();
        net.Step(Vote(2, 1, 1));
        Assert.Equal(RaftRole.Leader, net[1].Role);
        net.Campaign(2);
        net.ProcessReadies();
        var e = Assert.Throws<InvalidOperationException>(() => net.Step(Vote(3, 2, 1)));
        Assert.Contains("election safety", e.Message);
    }

    [Fact]
    public void Durable_logs_that_agree_on_an_entry_but_not_before_it_violate_log_matching()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Recover(1, new HardState { Term = 1 }, [E(1, 1, "a"), E(2, 1, "x")]);
        net.Recover(2, new HardState { Term = 1 }, [E(1, 1, "b"), E(2, 1, "x")]);
        net.Campaign(1);
        var e = Assert.Throws<InvalidOperationException>(() => net.ProcessReadies());
        Assert.Contains("log matching", e.Message);
    }

    [Fact]
    public void Different_entries_applied_at_one_index_violate_state_machine_safety()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Recover(1, new HardState { Term = 1, Commit = 1 }, [E(1, 1, "a")]);
        net.Recover(2, new HardState { Term = 2, Commit = 1 }, [E(1, 2, "b")]);
        var e = Assert.Throws<InvalidOperationException>(() => net.ProcessReadies());
        Assert.Contains("state machine safety", e.Message);
    }

    [Fact]
    public void A_leader_without_an_entry_committed_earlier_violates_leader_completeness()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Recover(1, new HardState { Term = 1, Commit = 1 }, [E(1, 1, "committed")]);
        net.ProcessReadies();
        Assert.Single(net.Applied[1]);
        // 2 campaigns twice (terms 1 and 2); a forged vote makes it leader of term 2 without the entry
        // committed in term 1 (no real voter with the entry would grant it).
        net.Campaign(2);
        net.Campaign(2);
        net.ProcessReadies();
        Assert.Equal(2UL, net[2].Term);
        var e = Assert.Throws<InvalidOperationException>(() => net.Step(Vote(3, 2, 2)));
        Assert.Contains("leader completeness", e.Message);
    }

    [Fact]
    public void A_read_index_below_a_commit_known_when_it_was_asked_violates_linearizability()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.True(net.ReadIndex(2, B("r")));
        // A forged answer with an index older than what was committed when the read was asked.
        var resp = new Message { Type = MessageType.MsgReadIndexResp, From = 1, To = 2, Term = 1, Index = 1 };
        resp.Entries.Add(new Entry { Data = B("r") });
        net.Step(resp);
        var e = Assert.Throws<InvalidOperationException>(() => net.ProcessReadies());
        Assert.Contains("linearizability", e.Message);
    }

    [Fact]
    public void A_message_of_a_term_not_on_the_senders_disk_violates_durability()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        // Forged: the leader's disk is behind its term, as if the write of its vote were lost.
        net.Durable[1].Hard = new HardState();
        net.Tick(1);
        var e = Assert.Throws<InvalidOperationException>(() => net.ProcessReadies());
        Assert.Contains("durability violated", e.Message);
        Assert.Contains("its durable term is 0", e.Message);
    }

    [Fact]
    public void An_early_sent_commit_index_on_no_quorums_disk_violates_durability()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net[1].Propose(B("x"));
        net.Stabilize();
        // Forged: the committed entries vanish from every disk; the leader's next heartbeat still says they are committed.
        foreach (var d in net.Durable.Values) d.Log.Clear();
        net.Tick(1);
        var e = Assert.Throws<InvalidOperationException>(() => net.ProcessReadies());
        Assert.Contains("durability violated", e.Message);
        Assert.Contains("not on its disk", e.Message);
    }
}
