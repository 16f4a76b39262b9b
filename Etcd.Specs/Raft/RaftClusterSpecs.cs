using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>Three members in one thread, connected by <see cref="RaftNetwork"/>.</summary>
public class RaftClusterSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftNetwork ElectedCluster(bool preVote = false, bool checkQuorum = false)
    {
        var net = new RaftNetwork(7, preVote, checkQuorum, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        return net;
    }

    [Fact]
    public void Three_members_elect_one_leader_that_everyone_follows()
    {
        var net = ElectedCluster();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        Assert.All([net[2], net[3]], n => Assert.Equal((RaftRole.Follower, 1UL, 1UL), (n.Role, n.Lead, n.Term)));
        // The leader's empty entry is committed and applied everywhere.
        Assert.All(net.Nodes.Values, n => Assert.Equal(1UL, n.CommitIndex));
        Assert.All(net.Applied.Values, a => Assert.Single(a));
    }

    [Fact]
    public void Ticking_alone_elects_a_leader_with_pre_vote_and_check_quorum()
    {
        var net = new RaftNetwork(11, preVote: true, checkQuorum: true, 1, 2, 3);
        for (var i = 0; i < 100 && net.Leader() is null; i++)
        {
            net.TickAll();
            net.Stabilize();
        }
        var leader = Assert.IsType<ulong>(net.Leader());
        Assert.All(net.Nodes.Values, n => Assert.Equal(leader, n.Lead));
        // Heartbeats keep the leader in place for a long time.
        for (var i = 0; i < 200; i++)
        {
            net.TickAll();
            net.Stabilize();
        }
        Assert.Equal(leader, net.Leader());
        Assert.All(net.Nodes.Values, n => Assert.Equal(1UL, n.Term));
    }

    [Fact]
    public void Proposals_replicate_and_apply_in_the_same_order_everywhere()
    {
        var net = ElectedCluster();
        for (var i = 0; i < 25; i++) Assert.True(net[1].Propose(B($"v{i}")));
        net.Stabilize();
        var expected = Enumerable.Range(0, 25).Select(i => $"v{i}").ToList();
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            Assert.Equal(26UL, net[id].CommitIndex);
            Assert.Equal(expected, net.Applied[id].Skip(1).Select(e => e.Data.ToStringUtf8()));
        }
    }

    [Fact]
    public void A_leader_commits_with_a_majority_but_not_alone()
    {
        var net = ElectedCluster();
        net.Drop = m => m.To == 3 || m.From == 3;
        net[1].Propose(B("with-2"));
        net.Stabilize();
        Assert.Equal(2UL, net[1].CommitIndex);

        net.Drop = m => m.From == 1 && m.To != 1;
        net[1].Propose(B("alone"));
        net.Stabilize();
        Assert.Equal(3UL, net[1].LastIndex);
        Assert.Equal(2UL, net[1].CommitIndex);
    }

    [Fact]
    public void Entries_of_an_older_term_are_not_committed_by_counting_replicas()
    {
        var net = new RaftNetwork(3, false, false, 1, 2, 3);
        var oldLog = new[] { E(1, 1), E(2, 1, "old") };
        foreach (var id in new ulong[] { 1, 2, 3 }) net.Recover(id, new HardState { Term = 1, Commit = 1 }, oldLog);
        net.Campaign(1);
        net.ProcessReadies();            // vote requests in flight
        net.Deliver(0);
        net.Deliver(0);                  // both followers grant
        net.ProcessReadies();            // grants in flight
        net.Deliver(0);
        net.Deliver(0);                  // leader elected; its appends are queued
        net.ProcessReadies();
        net.InFlight.Clear();            // ...and lost: the leader knows nothing of the followers' logs
        Assert.Equal(RaftRole.Leader, net[1].Role);
        Assert.Equal(2UL, net[1].Term);

        // A follower acknowledges index 2 (term 1): a majority holds it, but it is not of the leader's term.
        net[1].Step(new Message { Type = MessageType.MsgAppResp, From = 2, To = 1, Term = 2, Index = 2 });
        Assert.Equal(1UL, net[1].CommitIndex);
        // Acknowledging the leader's own empty entry (index 3, term 2) commits everything before it.
        net[1].Step(new Message { Type = MessageType.MsgAppResp, From = 2, To = 1, Term = 2, Index = 3 });
        Assert.Equal(3UL, net[1].CommitIndex);
    }

    [Fact]
    public void A_follower_with_a_divergent_tail_is_truncated_to_the_leaders_log()
    {
        var net = new RaftNetwork(5, false, false, 1, 2, 3);
        net.Recover(1, new HardState { Term = 2, Commit = 1 }, [E(1, 1), E(2, 2, "kept")]);
        net.Recover(2, new HardState { Term = 2, Commit = 1 }, [E(1, 1), E(2, 2, "kept")]);
        net.Recover(3, new HardState { Term = 1, Commit = 1 }, [E(1, 1), E(2, 1, "lost-a"), E(3, 1, "lost-b"), E(4, 1, "lost-c")]);
        net.Campaign(1);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        net[1].Propose(B("new"));
        net.Stabilize();
        var terms = net[3].Log.Slice(1, net[3].LastIndex + 1).Select(e => (e.Term, e.Data.ToStringUtf8())).ToList();
        Assert.Equal([(1UL, ""), (2UL, "kept"), (3UL, ""), (3UL, "new")], terms);
        Assert.Equal(4UL, net[3].CommitIndex);
    }

    [Fact]
    public void Read_index_waits_for_a_heartbeat_quorum()
    {
        var net = ElectedCluster();
        net[1].Propose(B("x"));
        net.Stabilize();

        net.Drop = m => m.From == 1 && m.To != 1;
        Assert.True(net[1].ReadIndex(B("r1")));
        net.Stabilize();
        Assert.Empty(net.ReadStates[1]);

        net.Drop = _ => false;
        Assert.True(net[1].ReadIndex(B("r2")));
        net.Stabilize();
        // r2's confirmation also confirms r1, which was queued before it.
        Assert.Equal([("r1", 2UL), ("r2", 2UL)], net.ReadStates[1].Select(r => (r.Context.ToStringUtf8(), r.Index)));
    }

    [Fact]
    public void A_follower_read_index_is_answered_by_the_leader()
    {
        var net = ElectedCluster();
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.True(net[2].ReadIndex(B("f")));
        net.Stabilize();
        var rs = Assert.Single(net.ReadStates[2]);
        Assert.Equal(("f", 2UL), (rs.Context.ToStringUtf8(), rs.Index));
        Assert.Empty(net.ReadStates[1]);
    }

    [Fact]
    public void A_new_leader_defers_reads_until_it_commits_in_its_term()
    {
        var net = new RaftNetwork(9, false, false, 1, 2, 3);
        net.Campaign(1);
        // Let the votes through but hold the leader's appends back.
        net.Drop = m => m.Type == MessageType.MsgApp;
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        Assert.Equal(0UL, net[1].CommitIndex);
        net[1].ReadIndex(B("early"));
        net.Stabilize();
        Assert.Empty(net.ReadStates[1]);

        net.Drop = _ => false;
        net.TickAll();
        net.Stabilize();
        var rs = Assert.Single(net.ReadStates[1]);
        Assert.Equal(1UL, rs.Index);
    }

    [Fact]
    public void An_isolated_leader_is_replaced_and_steps_down_on_return()
    {
        var net = new RaftNetwork(13, preVote: true, checkQuorum: true, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);

        net.Drop = m => m.From == 1 || m.To == 1;
        for (var i = 0; i < 50; i++)
        {
            net.TickAll();
            net.Stabilize();
        }
        // Check quorum: the isolated leader noticed it lost its quorum.
        Assert.NotEqual(RaftRole.Leader, net[1].Role);
        var newLeader = Assert.IsType<ulong>(net.Leader());
        Assert.NotEqual(1UL, newLeader);
        net[newLeader].Propose(B("after"));
        net.Stabilize();

        net.Drop = _ => false;
        for (var i = 0; i < 5; i++)
        {
            net.TickAll();
            net.Stabilize();
        }
        Assert.Equal(newLeader, net[1].Lead);
        Assert.Equal("after", net.Applied[1][^1].Data.ToStringUtf8());
    }

    [Fact]
    public void A_restarted_follower_catches_up_from_its_durable_log()
    {
        var net = ElectedCluster();
        net[1].Propose(B("a"));
        net.Stabilize();
        net.Restart(3);
        net.Drop = m => m.To == 3;
        net[1].Propose(B("b"));
        net.Stabilize();
        net.Drop = _ => false;
        net.TickAll(2);
        net.Stabilize();
        Assert.Equal(new[] { "", "a", "b" }, net.Applied[3].Select(e => e.Data.ToStringUtf8()));
    }
}
