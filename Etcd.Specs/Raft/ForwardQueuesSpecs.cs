using Etcd.Actors.Raft;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class ForwardQueuesSpecs
{
    private const int MaxPending = 3;
    private const int NoLeaderTimeout = 10;
    private const ulong Self = 0x1;

    private static PendingProposal P(ulong id, long since = 0, ulong origin = 0, int hops = 0, int bytes = 1) =>
        new(id, ByteString.CopyFrom(new byte[bytes]), origin, since, hops);

    [Fact]
    public void Each_queue_holds_at_most_the_bound_and_refuses_beyond_it_without_changing()
    {
        var q = new ForwardQueues(MaxPending, NoLeaderTimeout);
        for (ulong i = 1; i <= MaxPending; i++)
        {
            Assert.True(q.TryHold(P(i)));
            Assert.True(q.TryForward(P(10 + i)));
        }
        Assert.False(q.TryHold(P(99)));
        Assert.False(q.TryForward(P(98)));
        Assert.Equal(MaxPending, q.HeldCount);
        Assert.Equal(MaxPending, q.ToForwardCount);
        Assert.Equal([11UL, 12, 13], q.TakeToForward().Select(p => p.Id));
        Assert.Equal(0, q.ToForwardCount);
        Assert.Equal([1UL, 2, 3], q.TakeAllHeld().Select(p => p.Id));
        Assert.Equal(0, q.HeldCount);
    }

    [Fact]
    public void Held_proposals_are_taken_oldest_first_and_one_held_again_goes_to_the_back()
    {
        var q = new ForwardQueues(MaxPending, NoLeaderTimeout);
        q.TryHold(P(1));
        q.TryHold(P(2));
        Assert.True(q.TryTakeHeld(out var first));
        Assert.Equal(1UL, first.Id);
        q.TryHold(first);
        var order = new List<ulong>();
        while (q.TryTakeHeld(out var p)) order.Add(p.Id);
        Assert.Equal([2UL, 1], order);
    }

    [Fact]
    public void Held_proposals_expire_after_exactly_the_no_leader_timeout_and_the_rest_keep_their_order()
    {
        var q = new ForwardQueues(MaxPending, NoLeaderTimeout);
        Assert.Null(q.TakeExpired(100));
        q.TryHold(P(1, since: 0));
        q.TryHold(P(2, since: 5));
        q.TryHold(P(3, since: 1));
        Assert.Null(q.TakeExpired(NoLeaderTimeout - 1));
        Assert.Equal([1UL], q.TakeExpired(NoLeaderTimeout)!.Select(p => p.Id));
        Assert.Equal([3UL], q.TakeExpired(NoLeaderTimeout + 1)!.Select(p => p.Id));
        Assert.Equal([2UL], q.TakeAllHeld().Select(p => p.Id));
    }

    [Fact]
    public void A_batch_carries_one_origin_and_one_hop_count_and_own_proposals_name_this_member()
    {
        var batches = ForwardQueues.Batch(
            [P(1), P(2, origin: Self), P(3, origin: 7), P(4, origin: 7, hops: 1), P(5)], Self, maxEntries: 100, maxBytes: 1000);
        Assert.Equal(["1/0:1,2", "7/0:3", "7/1:4", "1/0:5"], batches.Select(Describe));
        Assert.All(batches, b => Assert.Equal(b.Ids.Count, b.Data.Count));
    }

    [Fact]
    public void A_batch_splits_at_the_entry_count_and_before_the_byte_bound_would_be_passed()
    {
        var byCount = ForwardQueues.Batch(Enumerable.Range(1, 5).Select(i => P((ulong)i)), Self, maxEntries: 2, maxBytes: 1000);
        Assert.Equal([2, 2, 1], byCount.Select(b => b.Ids.Count));

        // 4 + 4 + 2 = 10 fits exactly; the next byte starts a new message. A proposal larger than the bound goes alone.
        var byBytes = ForwardQueues.Batch([P(1, bytes: 4), P(2, bytes: 4), P(3, bytes: 2), P(4, bytes: 1), P(5, bytes: 20), P(6, bytes: 1)],
            Self, maxEntries: 100, maxBytes: 10);
        Assert.Equal(["1/0:1,2,3", "1/0:4", "1/0:5", "1/0:6"], byBytes.Select(Describe));
        Assert.Empty(ForwardQueues.Batch([], Self, 2, 10));
    }

    private static string Describe(Etcd.Api.Raftpb.ForwardedProposals b) => $"{b.From:x}/{b.Hops}:{string.Join(',', b.Ids)}";
}
