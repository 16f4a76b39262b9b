using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// Snapshots: a leader whose needed entries are compacted sends MsgSnap with metadata only (the host streams
/// the data); the follower restores its log to it and hands the metadata out in Ready.Snapshot.
/// </summary>
public class RaftSnapshotSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftConfig Cfg(ulong id) => new() { Id = id, Voters = [1, 2, 3], PreVote = false, CheckQuorum = false, Random = new SeededRandomSource(id) };

    /// <summary>1 leads 1..3; 3 misses <paramref name="missed"/> proposals; the leader then compacts everything it applied.</summary>
    private static RaftNetwork LaggingFollowerBehindCompaction(int missed = 10, bool checkQuorum = false)
    {
        var net = new RaftNetwork(21, preVote: false, checkQuorum, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net.Drop = m => m.To == 3 || m.From == 3;
        for (var i = 0; i < missed; i++) net[1].Propose(B($"m{i}"));
        net.Stabilize();
        Assert.Equal(net[1].AppliedIndex, net.Compact(1, net[1].AppliedIndex));
        Assert.True(net[1].Log.FirstIndex > net[3].LastIndex + 1);
        return net;
    }

    private static List<Message> Sent(RaftNetwork net, ulong from, MessageType type)
    {
        var sent = new List<Message>();
        var previous = net.OnReady;
        net.OnReady = (id, rd) =>
        {
            previous?.Invoke(id, rd);
            if (id == from) sent.AddRange(rd.Messages.Where(m => m.Type == type).Select(m => m.Clone()));
        };
        return sent;
    }

    [Fact]
    public void A_follower_behind_the_compacted_log_gets_a_snapshot_of_metadata_at_the_leaders_applied_index()
    {
        var net = LaggingFollowerBehindCompaction();
        var snaps = Sent(net, 1, MessageType.MsgSnap);
        var installs = new List<Ready>();
        net.OnReady += (id, rd) => { if (id == 3 && rd.Snapshot is not null) installs.Add(rd); };
        net.Drop = _ => false;
        var applied = net[1].AppliedIndex;
        net.TickAll();
        net.Stabilize();

        var snap = Assert.Single(snaps).Snapshot;
        Assert.True(snap.Data.IsEmpty);
        Assert.Equal((applied, net[1].Log.Term(applied)), (snap.Metadata.Index, (ulong?)snap.Metadata.Term));
        Assert.Equal(new ClusterConfig([1, 2, 3]), ClusterConfig.From(snap.Metadata.ConfState));

        var rd = Assert.Single(installs);
        Assert.Equal(snap.Metadata, rd.Snapshot);
        Assert.Equal(applied, rd.HardState!.Commit);
        Assert.True(rd.MustSync);
        Assert.Equal(new ClusterConfig([1, 2, 3]), rd.Config);
        Assert.All(rd.CommittedEntries, e => Assert.True(e.Index > applied));

        Assert.Equal(net.Applied[1].Select(e => e.Data), net.Applied[3].Select(e => e.Data));
        Assert.Equal(applied + 1, net[3].Log.FirstIndex);
        Assert.Equal(ProgressState.Replicate, net[1].ProgressOf(3)!.State);
        net[1].Propose(B("after"));
        net.Stabilize();
        Assert.Equal("after", net.Applied[3][^1].Data.ToStringUtf8());
    }

    [Fact]
    public void A_failed_snapshot_is_retried_on_the_next_heartbeat_answer()
    {
        var net = LaggingFollowerBehindCompaction();
        var snaps = Sent(net, 1, MessageType.MsgSnap);
        var lost = 0;
        net.Drop = m => m.Type == MessageType.MsgSnap && lost++ == 0;
        net.TickAll();
        net.Stabilize();
        // Lost, reported as failed: probing again from what 3 is known to have, paused until it is heard from.
        Assert.Single(snaps);
        var pr = net[1].ProgressOf(3)!;
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.True(pr.IsPaused);
        Assert.Equal(pr.Match + 1, pr.Next);
        net[1].Propose(B("meanwhile"));
        net.Stabilize();
        Assert.Single(snaps);

        net.TickAll();
        net.Stabilize();
        Assert.Equal(2, snaps.Count);
        Assert.Equal(net[1].CommitIndex, net[3].CommitIndex);
        Assert.Equal(net.Applied[1].Select(e => e.Data), net.Applied[3].Select(e => e.Data));
    }

    [Fact]
    public void A_snapshot_replaces_a_conflicting_uncommitted_tail()
    {
        var net = new RaftNetwork(23, false, false, 1, 2, 3);
        net.Recover(1, new HardState { Term = 2, Commit = 1 }, [E(1, 1), E(2, 2, "kept")]);
        net.Recover(2, new HardState { Term = 2, Commit = 1 }, [E(1, 1), E(2, 2, "kept")]);
        net.Recover(3, new HardState { Term = 1, Commit = 1 }, [E(1, 1), E(2, 1, "stale-a"), E(3, 1, "stale-b"), E(4, 1, "stale-c")]);
        net.Drop = m => m.To == 3 || m.From == 3;
        net.Campaign(1);
        net.Stabilize();
        for (var i = 0; i < 5; i++) net[1].Propose(B($"n{i}"));
        net.Stabilize();
        net.Compact(1, net[1].AppliedIndex);

        var installs = new List<SnapshotMetadata>();
        net.OnReady = (id, rd) => { if (id == 3 && rd.Snapshot is { } s) installs.Add(s); };
        net.Drop = _ => false;
        net.TickAll();
        net.Stabilize();

        Assert.Equal(net[1].Log.FirstIndex - 1, Assert.Single(installs).Index);
        var leaderLog = net[1].Log.Slice(net[1].Log.FirstIndex, net[1].LastIndex + 1).Select(e => (e.Index, e.Term));
        Assert.Equal(leaderLog, net[3].Log.Slice(net[3].Log.FirstIndex, net[3].LastIndex + 1).Select(e => (e.Index, e.Term)));
        Assert.DoesNotContain(net.Applied[3], e => e.Data.ToStringUtf8().StartsWith("stale"));
        Assert.DoesNotContain(net.Durable[3].Log, e => e.Data.ToStringUtf8().StartsWith("stale"));
        Assert.Equal("kept", net.Applied[3][1].Data.ToStringUtf8());
    }

    [Fact]
    public void A_snapshot_arriving_while_a_ready_is_outstanding_is_handed_out_in_the_next_ready()
    {
        var n = RaftNode.Create(Cfg(3), new RaftRecoveredState(new HardState { Term = 2, Commit = 1 }, [E(1, 1), E(2, 1)]));
        var app = new Message { Type = MessageType.MsgApp, From = 1, To = 3, Term = 2, Index = 2, LogTerm = 1, Commit = 2 };
        app.Entries.Add(E(3, 2, "three"));
        n.Step(app);
        var rd1 = n.GetReady();
        Assert.Equal([3UL], rd1.Entries.Select(e => e.Index));
        Assert.Equal([1UL, 2UL], rd1.CommittedEntries.Select(e => e.Index));

        // While the host persists and applies rd1, the leader's snapshot arrives.
        var snap = new Message { Type = MessageType.MsgSnap, From = 1, To = 3, Term = 2, Snapshot = new Snapshot { Metadata = Meta(10, 2, 1, 2, 3) } };
        n.Step(snap);
        Assert.False(n.HasReady());
        Assert.Equal(10UL, n.CommitIndex);

        n.Advance(rd1);
        // Applying rd1 does not pull applied back below the snapshot, nor does its entry become stable.
        Assert.Equal(10UL, n.AppliedIndex);
        Assert.Equal((11UL, 10UL), (n.Log.FirstIndex, n.Log.StableLastIndex));
        Assert.True(n.HasReady());
        var rd2 = n.GetReady();
        Assert.Equal(snap.Snapshot.Metadata, rd2.Snapshot);
        Assert.Equal(10UL, rd2.HardState!.Commit);
        Assert.Empty(rd2.Entries);
        Assert.Empty(rd2.CommittedEntries);
        var resp = Assert.Single(rd2.Messages);
        Assert.Equal((MessageType.MsgAppResp, 10UL, false), (resp.Type, resp.Index, resp.Reject));
        n.Advance(rd2);

        var next = new Message { Type = MessageType.MsgApp, From = 1, To = 3, Term = 2, Index = 10, LogTerm = 2, Commit = 11 };
        next.Entries.Add(E(11, 2, "eleven"));
        n.Step(next);
        var rd3 = n.GetReady();
        Assert.Null(rd3.Snapshot);
        Assert.Equal([11UL], rd3.CommittedEntries.Select(e => e.Index));
    }

    [Fact]
    public void No_snapshot_goes_to_a_peer_that_was_not_heard_from_recently()
    {
        var net = LaggingFollowerBehindCompaction(checkQuorum: true);
        var snaps = Sent(net, 1, MessageType.MsgSnap);
        // The transport says 3 cannot be reached; a quorum check later 3 no longer counts as active.
        net[1].ReportUnreachable(3);
        for (var i = 0; i < 10; i++) net.Tick(1);
        net.Stabilize();
        var pr = net[1].ProgressOf(3)!;
        Assert.False(pr.RecentActive);
        Assert.True(pr.Next < net[1].Log.FirstIndex);
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Empty(snaps);

        net.Drop = _ => false;
        net.Tick(1);
        net.Stabilize();
        Assert.Single(snaps);
        Assert.Equal(net[1].CommitIndex, net[3].CommitIndex);
    }

    [Fact]
    public void A_follower_that_already_has_the_snapshot_entry_just_commits_to_it()
    {
        var n = RaftNode.Create(Cfg(3), new RaftRecoveredState(new HardState { Term = 1, Commit = 2 }, [E(1, 1), E(2, 1), E(3, 1), E(4, 1), E(5, 1, "five")]));
        n.Advance(n.GetReady());
        n.Step(new Message { Type = MessageType.MsgSnap, From = 1, To = 3, Term = 1, Snapshot = new Snapshot { Metadata = Meta(4, 1, 1, 2, 3) } });
        var rd = n.GetReady();
        Assert.Null(rd.Snapshot);
        Assert.Equal(4UL, rd.HardState!.Commit);
        Assert.Equal([3UL, 4UL], rd.CommittedEntries.Select(e => e.Index));
        Assert.Equal((MessageType.MsgAppResp, 4UL), (rd.Messages.Single().Type, rd.Messages.Single().Index));
        n.Advance(rd);
        // The log, including the entry after the snapshot point, is kept.
        Assert.Equal((1UL, 5UL), (n.Log.FirstIndex, n.LastIndex));
    }

    [Fact]
    public void A_snapshot_at_or_below_the_commit_index_is_answered_with_the_commit_index()
    {
        var n = RaftNode.Create(Cfg(3), new RaftRecoveredState(new HardState { Term = 1, Commit = 3 }, [E(1, 1), E(2, 1), E(3, 1)]));
        n.Advance(n.GetReady());
        n.Step(new Message { Type = MessageType.MsgSnap, From = 1, To = 3, Term = 1, Snapshot = new Snapshot { Metadata = Meta(2, 1, 1, 2, 3) } });
        var rd = n.GetReady();
        Assert.Null(rd.Snapshot);
        Assert.Equal((MessageType.MsgAppResp, 3UL), (rd.Messages.Single().Type, rd.Messages.Single().Index));
        Assert.Equal(3UL, n.LastIndex);
    }

    [Fact]
    public void After_a_reported_success_the_leader_waits_for_the_followers_answer()
    {
        var net = LaggingFollowerBehindCompaction();
        net.Drop = _ => false;
        net.TickAll();
        // Hold back 3's answer to the snapshot, so only the host's report reaches the leader.
        net.Drop = m => m.From == 3 && m.Type == MessageType.MsgAppResp;
        net.Stabilize();
        var pr = net[1].ProgressOf(3)!;
        var snapshotIndex = net.Durable[3].SnapshotIndex;
        Assert.True(snapshotIndex > 0);
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.Equal(snapshotIndex + 1, pr.Next);
        Assert.True(pr.IsPaused);

        net.Drop = _ => false;
        net.TickAll();
        net.Stabilize();
        Assert.Equal(ProgressState.Replicate, net[1].ProgressOf(3)!.State);
    }

    [Fact]
    public void An_unreachable_peer_in_replicate_state_is_probed_again()
    {
        var net = new RaftNetwork(25, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        Assert.Equal(ProgressState.Replicate, net[1].ProgressOf(2)!.State);
        net[1].ReportUnreachable(2);
        Assert.Equal(ProgressState.Probe, net[1].ProgressOf(2)!.State);
        net[1].ReportUnreachable(9);
        net[2].ReportUnreachable(1);
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Equal(ProgressState.Replicate, net[1].ProgressOf(2)!.State);
    }

    [Fact]
    public void A_caught_up_peer_left_probing_returns_to_replicate_on_the_next_heartbeat_answer()
    {
        // etcd-io/raft heartbeat_resp_recovers_from_probing: without it, the first proposals after a transient
        // send failure go out one round trip at a time.
        var net = new RaftNetwork(25, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net[1].ReportUnreachable(2);
        Assert.Equal(ProgressState.Probe, net[1].ProgressOf(2)!.State);
        net.Tick(1);
        net.Stabilize();
        Assert.Equal(ProgressState.Replicate, net[1].ProgressOf(2)!.State);
    }

    [Fact]
    public void A_joiner_catches_up_from_a_snapshot_and_learns_the_configuration_from_it()
    {
        var net = RaftConfChangeSpecs.Elected();
        for (var i = 0; i < 5; i++) net[1].Propose(B($"p{i}"));
        net.Stabilize();
        net.AddNode(4);
        net[1].ProposeConfChange(AddLearner(4));
        net.Stabilize();
        net.Compact(1, net[1].AppliedIndex);
        var installs = new List<SnapshotMetadata>();
        net.OnReady = (id, rd) => { if (id == 4 && rd.Snapshot is { } s) installs.Add(s); };
        net.TickAll();
        net.Stabilize();

        var meta = Assert.Single(installs);
        Assert.Equal(new ClusterConfig([1, 2, 3], [4]), ClusterConfig.From(meta.ConfState));
        Assert.Equal(new ClusterConfig([1, 2, 3], [4]), net[4].Config);
        Assert.Equal(net.Applied[1].Select(e => e.Data), net.Applied[4].Select(e => e.Data));
    }

    private static SnapshotMetadata Meta(ulong index, ulong term, params ulong[] voters) =>
        new() { Index = index, Term = term, ConfState = new ClusterConfig(voters).ToConfState() };
}
