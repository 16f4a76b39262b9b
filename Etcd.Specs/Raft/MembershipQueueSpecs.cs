using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class MembershipQueueSpecs
{
    private static MembershipChange Change(ulong waiter) => new() { Waiter = waiter };

    [Fact]
    public void Changes_are_proposed_in_order_and_only_once_the_last_conf_change_is_applied()
    {
        var q = new MembershipQueue(max: 3, noLeaderTicks: 10);
        Assert.True(q.TryQueue(Change(1)));
        Assert.True(q.TryQueue(Change(2)));
        q.ConfChangeCommitted(7);
        q.ConfChangeCommitted(5); // an older one never lowers the bar
        Assert.False(q.TryNext(applied: 6, out _));
        Assert.True(q.HasQueued);
        Assert.True(q.TryNext(applied: 7, out var first));
        Assert.Equal(1UL, first.Waiter);
        Assert.True(q.TryNext(applied: 7, out var second));
        Assert.Equal(2UL, second.Waiter);
        Assert.False(q.TryNext(applied: 7, out _));
        Assert.False(q.HasQueued);
    }

    [Fact]
    public void Both_queues_are_bounded()
    {
        var q = new MembershipQueue(max: 2, noLeaderTicks: 10);
        Assert.True(q.TryQueue(Change(1)));
        Assert.True(q.TryQueue(Change(2)));
        Assert.False(q.TryQueue(Change(3)));
        Assert.True(q.TryHold(Change(4), 0));
        Assert.True(q.TryHold(Change(5), 0));
        Assert.False(q.TryHold(Change(6), 0));
        Assert.Equal([1UL, 2, 4, 5], q.TakeAll().Select(c => c.Waiter));
        Assert.Empty(q.TakeAll());
    }

    [Fact]
    public void On_step_down_the_queued_wait_for_the_next_leader_behind_those_held_and_expire_without_one()
    {
        var q = new MembershipQueue(max: 5, noLeaderTicks: 10);
        Assert.True(q.TryHold(Change(1), tick: 0));
        Assert.True(q.TryQueue(Change(2)));
        q.SteppedDown(tick: 5);
        Assert.False(q.HasQueued);
        Assert.Equal([1UL], q.Expire(tick: 10).Select(c => c.Waiter));
        Assert.Empty(q.Expire(tick: 14));
        Assert.Equal([2UL], q.TakeHeld().Select(c => c.Waiter));
        Assert.Empty(q.Expire(tick: 100));
    }
}
