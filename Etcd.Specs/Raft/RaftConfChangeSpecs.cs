using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>Bootstrap and single-step membership changes: the configuration lives in the log and takes effect as it is handed out.</summary>
public class RaftConfChangeSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftConfig Cfg(ulong id) => new() { Id = id, Random = new SeededRandomSource(id) };

    /// <summary>Members 1..n bootstrapped, 1 elected, everything replicated.</summary>
    internal static RaftNetwork Elected(int n = 3, bool preVote = false, bool checkQuorum = false, ulong seed = 3)
    {
        var net = RaftNetwork.Bootstrap(seed, preVote, checkQuorum, Enumerable.Range(1, n).Select(i => (ulong)i).ToArray());
        net.Stabilize();
        net.Campaign(1);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        return net;
    }

    private static ClusterConfig C(ulong[] voters, params ulong[] learners) => new(voters, learners);

    [Fact]
    public void Bootstrapping_one_member_puts_it_in_the_log_and_it_elects_itself()
    {
        var n = RaftNode.Bootstrap(Cfg(1), [AddVoter(1)]);
        Assert.Equal(RaftRole.Follower, n.Role);
        Assert.True(n.Config.IsEmpty);
        var rd = n.GetReady();
        var e = Assert.Single(rd.Entries);
        Assert.Equal((1UL, 1UL, EntryType.EntryConfChange), (e.Index, e.Term, e.Type));
        Assert.Equal(AddVoter(1), ConfChange.Parser.ParseFrom(e.Data));
        Assert.Equal(new HardState { Term = 1, Commit = 1 }, rd.HardState);
        Assert.Equal(1UL, Assert.Single(rd.CommittedEntries).Index);
        Assert.Equal(C([1]), rd.Config);
        Assert.True(rd.MustSync);

        n.Advance(rd);
        // The configuration just made it the only voter: nobody to wait for but its own disk.
        Assert.Equal((RaftRole.Candidate, 2UL), (n.Role, n.Term));
        var second = n.GetReady();
        Assert.Null(second.Config);
        Assert.Equal(new HardState { Term = 2, Vote = 1, Commit = 1 }, second.HardState);
        n.Advance(second);
        Assert.Equal((RaftRole.Leader, 2UL), (n.Role, n.Term));
        var third = n.GetReady();
        Assert.Equal((2UL, 2UL), (third.Entries.Single().Index, third.Entries.Single().Term));
        n.Advance(third);
        var fourth = n.GetReady();
        Assert.Equal((2UL, 2UL), (fourth.CommittedEntries.Single().Index, fourth.CommittedEntries.Single().Term));
    }

    [Fact]
    public void Bootstrap_refuses_no_members_and_changes_other_than_add_node()
    {
        Assert.Throws<ArgumentException>(() => RaftNode.Bootstrap(Cfg(1), []));
        Assert.Throws<ArgumentException>(() => RaftNode.Bootstrap(Cfg(1), [AddLearner(1)]));
    }

    [Fact]
    public void Three_bootstrapped_members_commit_the_configuration_then_elect_a_leader()
    {
        var net = RaftNetwork.Bootstrap(1, false, false, 1, 2, 3);
        // Until the bootstrap entries are handed out nobody knows the voters, so nobody may campaign.
        net.Campaign(1);
        Assert.Equal(RaftRole.Follower, net[1].Role);
        net.Stabilize();
        Assert.All(net.Nodes.Values, n => Assert.Equal((C([1, 2, 3]), 3UL, 1UL), (n.Config, n.CommitIndex, n.Term)));

        net.Campaign(1);
        net.Stabilize();
        Assert.Equal((RaftRole.Leader, 2UL), (net[1].Role, net[1].Term));
        Assert.All(net.Nodes.Values, n => Assert.Equal((4UL, 1UL), (n.CommitIndex, n.Lead)));
        Assert.Equal(["AddNode(1)", "AddNode(2)", "AddNode(3)", ""], net.Applied[2].Select(Show));
    }

    [Fact]
    public void A_joiner_learns_the_configuration_by_replication()
    {
        var net = Elected();
        net[1].Propose(B("before"));
        net.Stabilize();

        net.AddNode(4);
        Assert.True(net[4].Config.IsEmpty);
        Assert.Null(net[1].ProposeConfChange(AddLearner(4)));
        net.Stabilize();
        // The leader probes the new member on its next heartbeat; it rejects, is sent the log from index 1.
        net.TickAll();
        net.Stabilize();

        Assert.Equal(C([1, 2, 3], 4), net[4].Config);
        Assert.True(net[4].IsLearner);
        Assert.Equal(net[1].CommitIndex, net[4].CommitIndex);
        Assert.Equal(net.Applied[1].Select(Show), net.Applied[4].Select(Show));
        Assert.Equal(["AddNode(1)", "AddNode(2)", "AddNode(3)", "", "before", "AddLearnerNode(4)"], net.Applied[4].Select(Show));
    }

    [Fact]
    public void Adding_a_voter_grows_the_quorum()
    {
        var net = Elected();
        net.AddNode(4);
        net[1].ProposeConfChange(AddVoter(4));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        Assert.All(net.Nodes.Values, n => Assert.Equal(C([1, 2, 3, 4]), n.Config));

        // Three voters could commit with 1 and 2; four need three of them.
        net.Drop = m => m.To is 3 or 4;
        net[1].Propose(B("two of four"));
        net.Stabilize();
        Assert.Equal(net[1].LastIndex - 1, net[1].CommitIndex);

        net.Drop = m => m.To == 4;
        net.TickAll();
        net.Stabilize();
        Assert.Equal(net[1].LastIndex, net[1].CommitIndex);
    }

    [Fact]
    public void Removing_a_follower_shrinks_the_quorum_and_commits_what_the_smaller_quorum_holds()
    {
        var net = Elected(4);
        // 4 is gone for good; 3 takes the removal but nothing after it.
        var removal = net[1].LastIndex + 1;
        net.Drop = m => m.To == 4 || (m.To == 3 && m.Type == MessageType.MsgApp && m.Entries.Any(e => e.Index > removal));
        Assert.Null(net[1].ProposeConfChange(Remove(4)));
        Assert.True(net[1].Propose(B("after")));
        net.Stabilize();

        // Held by 1, 2 and 3, the removal commits under the old configuration (three of four). "after" is held
        // by 1 and 2 only, no quorum of four; once the leader hands out the removal, two of three suffice.
        Assert.Equal(removal, net[3].LastIndex);
        Assert.Equal(C([1, 2, 3]), net[1].Config);
        Assert.Equal(removal + 1, net[1].CommitIndex);
        Assert.Null(net[1].ProgressOf(4));
        Assert.Equal(C([1, 2, 3]), net[2].Config);
        Assert.Equal("after", Show(net.Applied[2][^1]));
    }

    [Fact]
    public void Removing_the_leader_hands_leadership_to_the_most_up_to_date_voter()
    {
        var net = Elected(3, preVote: true, checkQuorum: true);
        // 3 lags behind: it misses the last proposals and the removal.
        net.Drop = m => m.To == 3 && m.Type == MessageType.MsgApp;
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Null(net[1].ProposeConfChange(Remove(1)));
        net.ProcessReadies();
        while (net.InFlight.Count > 0 && !net[1].Config.Equals(C([2, 3])))
        {
            net.Deliver(0);
            net.ProcessReadies();
        }
        Assert.Equal(C([2, 3]), net[1].Config);
        // The removed leader asks 2 (the voter with the highest match) to take over, and stops taking proposals.
        Assert.Equal(2UL, net[1].LeadTransferee);
        Assert.False(net[1].Propose(B("refused")));

        net.Drop = _ => false;
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[2].Role);
        // 2 campaigned once it had handed out the removal, so it did not ask 1, and it does not talk to a
        // member it removed. 1 learns of the newer term from the answer to its next heartbeat.
        Assert.Null(net[2].ProgressOf(1));
        net.Tick(1);
        net.Stabilize();
        Assert.Equal((net[2].Term, RaftRole.Follower), (net[1].Term, net[1].Role));
        net.Retire(1);
        net[2].Propose(B("under 2"));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        Assert.Equal(C([2, 3]), net[3].Config);
        Assert.Equal("under 2", Show(net.Applied[3][^1]));
    }

    [Fact]
    public void A_removed_leader_that_keeps_leading_does_not_count_itself_for_a_read_index()
    {
        var net = Elected(4);
        // The hand-off fails (its MsgTimeoutNow is lost) and is abandoned: 1 leads voters 2, 3 and 4 without being one.
        net.Drop = m => m.Type == MessageType.MsgTimeoutNow;
        Assert.Null(net[1].ProposeConfChange(Remove(1)));
        net.Stabilize();
        Assert.Equal(C([2, 3, 4]), net[1].Config);
        for (var i = 0; i < 10; i++) net.Tick(1);
        Assert.Equal((RaftRole.Leader, 0UL), (net[1].Role, net[1].LeadTransferee));

        // 3 and 4 are a quorum of the new configuration: they elect 3 and commit without 1 or 2.
        net.Drop = m => (m.From is 1 or 2) != (m.To is 1 or 2);
        net.Campaign(3);
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[3].Role);
        net[3].Propose(B("newer"));
        net.Stabilize();
        Assert.True(net[3].CommitIndex > net[1].CommitIndex);

        // 1 still leads its older term and hears only 2: one voter of three is no quorum for a read, and
        // answering would miss "newer" (the network checks every ReadState against all known commits).
        Assert.True(net.ReadIndex(1, B("stale?")));
        net.Stabilize();
        net.Tick(1);
        net.Stabilize();
        Assert.Empty(net.ReadStates[1]);
    }

    [Fact]
    public void A_voter_behind_on_membership_and_ahead_on_term_does_not_lock_out_the_new_configuration()
    {
        // Found by the simulation (seed 9502800, 20000 steps): 1 has not handed out the changes that removed 9
        // and promoted 2, so it campaigns alone (9 is gone) at ever higher terms and never writes to 2, a learner
        // in its eyes. 2, a voter of the committed configuration {1, 2} with the longer log, asks 1 for votes at a
        // lower term. Ignoring those silently (pre-vote off) leaves 2 no way to learn the term it must beat.
        var stale = RaftNode.Create(new RaftConfig { Id = 1, Voters = [1, 9], Learners = [2], PreVote = false, CheckQuorum = false, Random = new SeededRandomSource(1) },
            new RaftRecoveredState(new HardState { Term = 10, Vote = 1, Commit = 1 }, [E(1, 1)]));
        var current = RaftNode.Create(new RaftConfig { Id = 2, Voters = [1, 2], PreVote = false, CheckQuorum = false, Random = new SeededRandomSource(2) },
            new RaftRecoveredState(new HardState { Term = 5, Commit = 2 }, [E(1, 1), E(2, 5, "committed")]));

        current.Step(new Message { Type = MessageType.MsgHup });
        var vote = Assert.Single(Drain(current));
        Assert.Equal((MessageType.MsgVote, 6UL, 1UL), (vote.Type, vote.Term, vote.To));
        stale.Step(vote);
        // The Raft paper's rule: a request with a stale term is answered with the current term.
        var answer = Assert.Single(Drain(stale));
        Assert.Equal((MessageType.MsgVoteResp, 10UL, true), (answer.Type, answer.Term, answer.Reject));

        current.Step(answer);
        Assert.Equal((RaftRole.Follower, 10UL), (current.Role, current.Term));
        current.Step(new Message { Type = MessageType.MsgHup });
        stale.Step(Drain(current).Single(m => m.Type == MessageType.MsgVote));
        var granted = Drain(stale).Single(m => m.Type == MessageType.MsgVoteResp);
        Assert.False(granted.Reject);
        current.Step(granted);
        Assert.Equal((RaftRole.Leader, 11UL), (current.Role, current.Term));
    }

    [Fact]
    public void A_second_conf_change_is_refused_while_the_first_is_unapplied()
    {
        var net = Elected();
        net.AddNode(4);
        net.AddNode(5);
        Assert.Null(net[1].ProposeConfChange(AddLearner(4)));
        Assert.True(net[1].HasPendingConfChange);
        Assert.Equal(RaftNode.ConfChangeRefusal.Pending, net[1].ProposeConfChange(AddLearner(5)));
        Assert.Equal(RaftNode.ConfChangeRefusal.NotLeader, net[2].ProposeConfChange(AddLearner(5)));

        // A conf change stepped in as a raw proposal while one is pending becomes an empty entry.
        var raw = new Message { Type = MessageType.MsgProp, From = 1 };
        raw.Entries.Add(new Entry { Type = EntryType.EntryConfChange, Data = AddLearner(5).ToByteString() });
        net[1].Step(raw);
        net.Stabilize();
        Assert.False(net[1].HasPendingConfChange);
        Assert.Equal(["AddLearnerNode(4)", ""], net.Applied[1].TakeLast(2).Select(Show));
        Assert.Equal(C([1, 2, 3], 4), net[1].Config);

        Assert.Null(net[1].ProposeConfChange(AddLearner(5)));
        net.Stabilize();
        Assert.Equal(C([1, 2, 3], 4, 5), net[1].Config);
    }

    [Fact]
    public void A_new_leader_takes_no_conf_change_until_its_log_is_applied()
    {
        var net = Elected();
        net[1].Propose(B("uncommitted on 2"));
        // Only 2 gets it; then 2 is elected and must first apply everything it has.
        net.Drop = m => m.To == 3 && m.Type == MessageType.MsgApp || m.From == 2 && m.Type == MessageType.MsgAppResp;
        net.Stabilize();
        net.Drop = _ => false;
        net.Campaign(2);
        for (var i = 0; i < 20 && net[2].Role != RaftRole.Leader; i++)
        {
            if (net.InFlight.Count == 0) net.ProcessReadies();
            else net.Deliver(0);
        }
        Assert.Equal(RaftRole.Leader, net[2].Role);
        Assert.Equal(RaftNode.ConfChangeRefusal.Pending, net[2].ProposeConfChange(AddLearner(4)));
        net.Stabilize();
        Assert.Null(net[2].ProposeConfChange(AddLearner(4)));
    }

    [Fact]
    public void Changes_that_do_not_apply_leave_the_configuration_alone_everywhere()
    {
        var net = Elected();
        // The leader refuses them (RaftMalformedConfChangeSpecs); an update of a present member applies and changes nothing.
        foreach (var cc in new[] { AddVoter(2), Remove(9), AddLearner(3) })
            Assert.Equal(RaftNode.ConfChangeRefusal.Invalid, net[1].ProposeConfChange(cc));
        Assert.Null(net[1].ProposeConfChange(Change(ConfChangeType.ConfChangeUpdateNode, 2)));
        net.Stabilize();
        Assert.All(net.Nodes.Values, n => Assert.Equal(C([1, 2, 3]), n.Config));
    }

    [Fact]
    public void The_configuration_is_reported_once_with_the_ready_that_hands_out_its_change()
    {
        var net = Elected();
        net.AddNode(4);
        var reported = new List<(ulong Node, ClusterConfig Config)>();
        net.OnReady = (id, rd) =>
        {
            if (rd.Config is null) return;
            reported.Add((id, rd.Config));
            Assert.Contains(rd.CommittedEntries, e => e.Type == EntryType.EntryConfChange);
        };
        net[1].ProposeConfChange(AddLearner(4));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        // The members see one change. The joiner replays the whole history: the bootstrap entries (one Ready),
        // then the change that added it (the next, MaxEntriesPerMsg=4 splits the log there).
        Assert.All(reported.Where(r => r.Node != 4), r => Assert.Equal(C([1, 2, 3], 4), r.Config));
        Assert.Equal(new ulong[] { 1, 2, 3 }, reported.Where(r => r.Node != 4).Select(r => r.Node).Order());
        Assert.Equal([C([1, 2, 3]), C([1, 2, 3], 4)], reported.Where(r => r.Node == 4).Select(r => r.Config));
    }

    [Fact]
    public void A_restart_replays_membership_from_the_log()
    {
        var net = Elected();
        net.AddNode(4);
        net[1].ProposeConfChange(AddLearner(4));
        net.Stabilize();

        // Bootstrapped: no voters in RaftConfig, so until the log is handed out again the member knows none
        // (and does not campaign); the first Ready replays the changes.
        net.Restart(2);
        Assert.True(net[2].Config.IsEmpty);
        net.Campaign(2);
        Assert.Equal(RaftRole.Follower, net[2].Role);
        net.ProcessReadies();
        Assert.Equal(C([1, 2, 3], 4), net[2].Config);

        // A host that says what it has applied gets the membership at once.
        var d = net.Durable[3];
        var n = RaftNode.Create(net.Config(3) with { Applied = d.Hard.Commit }, new RaftRecoveredState(d.Hard, d.Log));
        Assert.Equal(C([1, 2, 3], 4), n.Config);
    }

    [Fact]
    public void A_restart_takes_membership_from_the_snapshot_metadata()
    {
        var net = Elected();
        net.AddNode(4);
        net[1].ProposeConfChange(AddLearner(4));
        net.Stabilize();
        net[1].Propose(B("y"));
        net.Stabilize();
        Assert.Equal(net[2].AppliedIndex, net.Compact(2, net[2].AppliedIndex));
        Assert.Equal(C([1, 2, 3], 4), ClusterConfig.From(net.Durable[2].Snapshot!.ConfState));
        Assert.Empty(net.Durable[2].Log);

        net.Restart(2);
        Assert.Equal(C([1, 2, 3], 4), net[2].Config);
        Assert.Equal(net.Durable[2].SnapshotIndex, net[2].AppliedIndex);
        // Nothing to hand out again: everything up to the snapshot is in the state machine already.
        Assert.False(net[2].HasReady());
    }

    [Fact]
    public void Snapshot_metadata_at_an_older_index_has_that_index_membership()
    {
        var net = Elected();
        net.AddNode(4);
        var beforeLearner = net[1].AppliedIndex;
        net[1].ProposeConfChange(AddLearner(4));
        net.Stabilize();
        var learnerAt = net[1].AppliedIndex;
        net[1].Propose(B("mid"));
        net.Stabilize();
        net[1].ProposeConfChange(AddVoter(4));
        net.Stabilize();
        net.TickAll();
        net.Stabilize();
        var promotedAt = net[1].AppliedIndex;

        var leader = net[1];
        Assert.Equal(C([1, 2, 3]), ClusterConfig.From(leader.SnapshotMetadataAt(beforeLearner).ConfState));
        Assert.Equal(C([1, 2, 3], 4), ClusterConfig.From(leader.SnapshotMetadataAt(learnerAt).ConfState));
        Assert.Equal(C([1, 2, 3], 4), ClusterConfig.From(leader.SnapshotMetadataAt(promotedAt - 1).ConfState));
        Assert.Equal(learnerAt + 2, promotedAt);
        Assert.Equal(C([1, 2, 3, 4]), ClusterConfig.From(leader.SnapshotMetadataAt(promotedAt).ConfState));
        var meta = leader.SnapshotMetadataAt(learnerAt);
        Assert.Equal((learnerAt, leader.Log.Term(learnerAt)!.Value), (meta.Index, meta.Term));

        // After compacting between the two changes, the compaction point still knows its membership.
        net.Compact(1, learnerAt + 1);
        Assert.Equal(C([1, 2, 3], 4), ClusterConfig.From(leader.SnapshotMetadataAt(learnerAt + 1).ConfState));
        Assert.Equal(C([1, 2, 3, 4]), ClusterConfig.From(leader.SnapshotMetadataAt(promotedAt).ConfState));
        Assert.Throws<RaftInvariantException>(() => leader.SnapshotMetadataAt(learnerAt));
        Assert.Throws<RaftInvariantException>(() => leader.SnapshotMetadataAt(leader.AppliedIndex + 1));
    }

    private static IReadOnlyList<Message> Drain(RaftNode n)
    {
        var rd = n.GetReady();
        n.Advance(rd);
        return rd.Messages;
    }

    internal static string Show(Entry e) =>
        e.Type == EntryType.EntryConfChange
            ? ConfChange.Parser.ParseFrom(e.Data) is var cc ? $"{cc.Type.ToString().Replace("ConfChange", "")}({cc.NodeId})" : ""
            : e.Data.ToStringUtf8();
}
