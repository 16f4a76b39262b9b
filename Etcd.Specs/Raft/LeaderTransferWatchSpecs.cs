using Etcd.Actors.Errors;
using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class LeaderTransferWatchSpecs
{
    private const int ElectionTick = 10;
    private const ulong Target = 2;

    private static RaftProtocol.TransferLeadership Transfer(ulong target = Target) => new(target, new TaskCompletionSource());

    private static void AssertFailed(RaftProtocol.TransferLeadership t, EtcdError error)
    {
        Assert.True(t.Completion.Task.IsFaulted);
        Assert.Same(error, Assert.IsType<EtcdException>(t.Completion.Task.Exception!.InnerException).Error);
    }

    [Fact]
    public void The_target_leading_completes_the_transfer()
    {
        var watch = new LeaderTransferWatch(ElectionTick);
        var t = Transfer();
        watch.Start(t, 0);
        watch.LeadershipChanged(lead: 0, leading: false); // stepped down, nobody known yet
        Assert.False(t.Completion.Task.IsCompleted);
        watch.LeadershipChanged(lead: Target, leading: false);
        Assert.True(t.Completion.Task.IsCompletedSuccessfully);
        Assert.False(watch.Pending);
    }

    [Fact]
    public void Another_leader_or_a_newer_transfer_fails_it_with_leader_transfer_timeout()
    {
        var watch = new LeaderTransferWatch(ElectionTick);
        var first = Transfer();
        watch.Start(first, 0);
        var second = Transfer(3);
        watch.Start(second, 1);
        AssertFailed(first, EtcdErrors.TimeoutLeaderTransfer);
        watch.LeadershipChanged(lead: 1, leading: true); // still ours
        Assert.False(second.Completion.Task.IsCompleted);
        watch.LeadershipChanged(lead: 4, leading: false);
        AssertFailed(second, EtcdErrors.TimeoutLeaderTransfer);
        Assert.False(watch.Pending);
    }

    [Fact]
    public void A_transfer_the_core_abandoned_fails_on_the_next_tick()
    {
        var watch = new LeaderTransferWatch(ElectionTick);
        var t = Transfer();
        watch.Start(t, 0);
        for (long now = 1; now < 100; now++) watch.Tick(now, leading: true, leadTransferee: Target);
        Assert.False(t.Completion.Task.IsCompleted);
        watch.Tick(100, leading: true, leadTransferee: 0);
        AssertFailed(t, EtcdErrors.TimeoutLeaderTransfer);
    }

    [Fact]
    public void After_stepping_down_no_leader_for_more_than_two_election_timeouts_fails_it()
    {
        var watch = new LeaderTransferWatch(ElectionTick);
        var t = Transfer();
        watch.Start(t, 5);
        for (long now = 6; now <= 5 + 2 * ElectionTick; now++) watch.Tick(now, leading: false, leadTransferee: 0);
        Assert.False(t.Completion.Task.IsCompleted);
        watch.Tick(6 + 2 * ElectionTick, leading: false, leadTransferee: 0);
        AssertFailed(t, EtcdErrors.TimeoutLeaderTransfer);
    }

    [Fact]
    public void Fail_answers_the_transfer_under_way_with_the_given_error_and_nothing_without_one()
    {
        var watch = new LeaderTransferWatch(ElectionTick);
        watch.Fail(EtcdErrors.Stopped);
        var t = Transfer();
        watch.Start(t, 0);
        watch.Fail(EtcdErrors.Stopped);
        AssertFailed(t, EtcdErrors.Stopped);
        Assert.False(watch.Pending);
    }
}
