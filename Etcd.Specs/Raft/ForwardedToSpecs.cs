using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>Who may refuse a forwarded proposal (<see cref="ForwardedTo"/>), and where waiter ids come from (<see cref="WaiterIds"/>).</summary>
public sealed class ForwardedToSpecs
{
    private const ulong Self = 0x1, B = 0x2, C = 0x3;

    private static bool AllWaiting(ulong _) => true;

    [Fact]
    public void Only_the_member_an_id_was_last_forwarded_to_may_refuse_it_and_only_once()
    {
        var sent = new ForwardedTo(10);
        sent.Note(1, B, AllWaiting);
        sent.Note(2, B, AllWaiting);
        sent.Note(2, C, AllWaiting); // held, then released to a new leader

        Assert.Empty(sent.TakeRefusable(C, [1, 3], out var ignored));
        Assert.Equal(2, ignored);
        Assert.Equal([1UL], sent.TakeRefusable(B, [1, 2], out ignored));
        Assert.Equal(1, ignored);
        Assert.Equal([2UL], sent.TakeRefusable(C, [2], out _));
        Assert.Empty(sent.TakeRefusable(B, [1], out ignored));
        Assert.Equal(1, ignored);
        Assert.Equal(0, sent.Count);
    }

    [Fact]
    public void A_full_table_forgets_ids_nobody_waits_for_and_records_nothing_more_while_all_still_wait()
    {
        var waiting = new HashSet<ulong> { 1, 2, 3, 4, 5, 6, 7 };
        var sent = new ForwardedTo(4);
        for (ulong i = 1; i <= 4; i++) sent.Note(i, B, waiting.Contains);
        waiting.Remove(2);
        waiting.Remove(3);

        sent.Note(5, B, waiting.Contains);
        Assert.Equal(3, sent.Count);
        sent.Note(6, B, waiting.Contains);
        Assert.Equal(4, sent.Count);
        // Full of ids still waited for: the next one is not recorded, and its refusal will be ignored.
        sent.Note(7, B, waiting.Contains);
        Assert.Equal(4, sent.Count);
        Assert.Equal([1UL, 4, 5, 6], sent.TakeRefusable(B, [1, 2, 3, 4, 5, 6, 7], out var ignored).Order().ToArray());
        Assert.Equal(3, ignored);
    }

    [Fact]
    public void Only_own_proposals_are_noted_when_a_batch_goes_to_the_leader()
    {
        var q = new ForwardQueues(maxPending: 5, noLeaderTimeoutTicks: 10);
        PendingProposal P(ulong id, ulong origin) => new(id, ByteString.Empty, origin, 0, 0);
        q.NoteSent([P(1, 0), P(2, Self), P(3, C)], Self, B, AllWaiting);
        Assert.Equal([1UL, 2], q.Sent.TakeRefusable(B, [1, 2, 3], out var ignored));
        Assert.Equal(1, ignored);
    }

    [Fact]
    public void A_waiter_id_belongs_to_the_member_whose_low_16_bits_it_starts_with()
    {
        var id = WaiterIds.Prefix(0xdead_beef_1234, 1_700_000_000_123) + 5;
        Assert.True(WaiterIds.BelongsTo(id, 0xdead_beef_1234));
        Assert.True(WaiterIds.BelongsTo(id, 0x1234)); // the same low 16 bits, as in etcd's idutil
        Assert.False(WaiterIds.BelongsTo(id, 0xdead_beef_1235));
        Assert.Equal(new Etcd.Actors.Server.RequestIdGenerator(0xdead_beef_1234, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123)).Next(),
            WaiterIds.Prefix(0xdead_beef_1234, 1_700_000_000_123) + 1);
    }
}
