using Etcd.Actors.Raft.Core;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// The hole behind one-voter simulation seeds 8204084 and 1132417 (RaftSimulation.CountsAStoppedVoter), pinned step by
/// step so a change to it shows: removing the follower of two voters can leave no electable member when the leader
/// crashes mid-write after its early send. etcd 3.4 shares it (its leader sends before its WAL write, and a member that
/// applied its own removal stops); no message is lost, so no redundant message could have prevented it.
/// </summary>
public class RaftTwoVoterRemovalSpecs
{
    [Fact]
    public void Removing_the_follower_of_two_voters_leaves_no_leader_when_the_leader_crashes_mid_write_after_telling_it_the_commit()
    {
        var net = RaftConfChangeSpecs.Elected(n: 2);
        Assert.Null(net[1].ProposeConfChange(Remove(2)));
        // The removal replicates and the leader counts both acks: committed on the leader, not yet handed out.
        net.ProcessReadies();
        while (net.InFlight.Count > 0) net.Deliver(0);
        net.ProcessReadies();
        while (net.InFlight.Count > 0) net.Deliver(0);
        var removal = net[1].LastIndex;
        Assert.Equal(removal, net[1].CommitIndex);
        Assert.True(net[1].Propose(ByteString.CopyFromUtf8("after")));

        // The leader's next Ready applies the removal and appends "after"; its host sends first (early), then writes.
        Assert.True(net.BeginReady(1));
        Assert.Contains(2UL, net.RemovalsInOutstandingReady(1));
        while (net.InFlight.Count > 0) net.Deliver(0);
        net.ProcessReadies(id => id == 1);
        Assert.True(net[2].AppliedIndex >= removal);
        Assert.False(net[2].Config.Contains(2));
        Assert.Equal(removal + 1, net[2].LastIndex);

        // The crash mid-write loses "after", the commit of the removal and its apply: 1 again counts 2 as a voter.
        net.Restart(1);
        while (net.ProcessReadies())
        {
        }
        Assert.True(net[1].CommitIndex < removal, $"{net[1]}");
        Assert.True(net[1].Config.IsVoter(2), $"{net[1]}");
        Assert.True(net[1].LastIndex < net[2].LastIndex, $"{net[1]} / {net[2]}");

        // 2 never campaigns (removed: etcd-io/raft's promotable) and refuses its vote to 1's shorter log.
        for (var i = 0; i < 100; i++)
        {
            net.TickAll();
            net.Stabilize();
        }
        Assert.Null(net.Leader());
        Assert.False(net[2].Config.Contains(2));
        Assert.True(net[1].Config.IsVoter(2), $"{net[1]}");
    }
}
