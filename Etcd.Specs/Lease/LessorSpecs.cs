using Etcd.Actors.Lease.Core;
using Xunit;

namespace Etcd.Specs.Lease;

/// <summary>
/// The time side of leases (pure; the clock is a number the spec moves): only a primary expires anything, renewals
/// push expiry back, an expired lease comes out once (again only after the retry interval), checkpoints carry the
/// remaining TTL, and a promotion after a failover gives every lease a fresh life from its last checkpoint.
/// </summary>
public sealed class LessorSpecs
{
    private const long Second = 1000;
    private const long CheckpointInterval = 10 * Second;

    private static Lessor NewLessor(bool checkpointing = true) => new(checkpointing ? CheckpointInterval : 0, retryRevokeMs: 3 * Second);

    private static void Grant(Lessor l, long id, long ttl, long now, long remaining = 0) =>
        l.Apply(new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(id, ttl, remaining)), now);

    [Fact]
    public void A_follower_never_expires_a_lease()
    {
        var l = NewLessor();
        Grant(l, 1, 5, now: 0);
        Assert.Empty(l.Expired(1_000_000 * Second, 100));
        Assert.True(l.Renew(1, 0).NotPrimary);
        Assert.Equal(new LeaseTimeToLive(5, 5), l.TimeToLive(1, 1_000_000));
    }

    [Fact]
    public void A_granted_lease_expires_after_its_ttl_unless_renewed()
    {
        var l = NewLessor();
        l.Promote(0, extendMs: 0);
        Grant(l, 1, 5, now: 0);
        Grant(l, 2, 5, now: 0);
        Assert.Equal(new LeaseTimeToLive(5, 3), l.TimeToLive(1, 1500)); // truncated, as etcd
        Assert.Empty(l.Expired(4999, 100));
        Assert.Equal(5, l.Renew(2, 4000).Ttl);
        Assert.Equal([1L], l.Expired(5000, 100));
        l.Apply(new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(1, 5, 0)), 5100);
        Assert.Empty(l.Expired(8999, 100));
        Assert.Equal([2L], l.Expired(9000, 100));
        l.Apply(new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(2, 5, 0)), 9000);
        // An expired lease is not renewed back to life while its revocation is under way.
        Grant(l, 3, 5, now: 9000);
        Assert.Equal([3L], l.Expired(14_000, 100));
        Assert.Equal(0, l.Renew(3, 14_001).Ttl);
        Assert.Equal(0, l.Renew(42, 14_001).Ttl);
    }

    [Fact]
    public void An_expired_lease_is_proposed_once_and_again_only_after_the_retry_interval_if_it_still_exists()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 2, now: 0);
        Assert.Equal([1L], l.Expired(2000, 100));
        for (var t = 2000; t < 5000; t += 100) Assert.Empty(l.Expired(t, 100));
        Assert.Equal([1L], l.Expired(5000, 100)); // the revoke was lost (a leader change): proposed again
        l.Apply(new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(1, 2, 0)), 5100);
        Assert.Empty(l.Expired(20_000, 100));
    }

    [Fact]
    public void Expiry_is_rate_limited_per_call()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        for (var i = 1; i <= 10; i++) Grant(l, i, 2, now: 0);
        Assert.Equal(4, l.Expired(2000, 4).Count);
        Assert.Equal(4, l.Expired(2000, 4).Count);
        Assert.Equal(2, l.Expired(2000, 4).Count);
        Assert.Empty(l.Expired(2000, 4));
    }

    [Fact]
    public void Promotion_gives_every_lease_its_checkpointed_remaining_ttl_or_its_full_ttl_plus_the_extension()
    {
        var l = NewLessor();
        Grant(l, 1, 100, now: 0);
        Grant(l, 2, 100, now: 0, remaining: 30);
        l.Apply(new LeaseChange(LeaseChangeKind.Checkpointed, new LeaseRecord(1, 100, 0)), 0);

        l.Promote(50_000, extendMs: 1000);

        Assert.Equal(new LeaseTimeToLive(100, 101), l.TimeToLive(1, 50_000));
        Assert.Equal(new LeaseTimeToLive(100, 31), l.TimeToLive(2, 50_000));
        Assert.Empty(l.Expired(50_000 + 30_999, 100));
        Assert.Equal([2L], l.Expired(50_000 + 31_000, 100));
        // Demoted: nothing expires here any more.
        l.Demote();
        Assert.Empty(l.Expired(10_000_000, 100));
        Assert.True(l.Renew(1, 10_000_000).NotPrimary);
    }

    [Fact]
    public void Checkpoints_carry_the_remaining_ttl_and_a_renewal_clears_a_checkpoint_once()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 60, now: 0);
        Grant(l, 2, 5, now: 0);   // shorter than the interval: never checkpointed
        Assert.Empty(l.DueCheckpoints(9_999, 100));
        // Due, but not proposed (its leadership round failed): nothing recorded, so a renewal has nothing to clear.
        Assert.Equal([new LeaseRecord(1, 60, 50)], l.DueCheckpoints(10_000, 100));
        Assert.False(l.Renew(1, 10_000).ClearCheckpoint);
        Assert.Empty(l.DueCheckpoints(19_999, 100));
        Assert.Equal([new LeaseRecord(1, 60, 50)], Proposed(l, 20_000)); // renewed at 10 s: 50 s left at 20 s

        // The first renewal after a checkpoint asks for a checkpoint of 0 (so a new leader gives the full TTL), later ones do not.
        var first = l.Renew(1, 21_000);
        Assert.True(first.ClearCheckpoint);
        Assert.False(l.Renew(1, 22_000).ClearCheckpoint);
        // Renewed at 22 s; the next checkpoint (30 s) carries what is left then.
        Assert.Equal([new LeaseRecord(1, 60, 52)], Proposed(l, 30_000));
    }

    /// <summary>What the lease manager proposes once a leadership round confirms: the due checkpoints, taken again now.</summary>
    private static List<LeaseRecord> Proposed(Lessor l, long now) =>
        l.DueCheckpoints(now, 100).Select(c => l.Checkpoint(c.Id, now)).OfType<LeaseRecord>().ToList();

    [Fact]
    public void A_checkpoint_taken_after_its_round_carries_the_remaining_ttl_then_and_skips_a_lease_renewed_or_gone()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 60, now: 0);
        Grant(l, 2, 60, now: 0);
        Grant(l, 3, 60, now: 0);
        var due = l.DueCheckpoints(10_000, 100);
        Assert.Equal(3, due.Count);
        // While the round was out: lease 2 renewed, lease 3 revoked; lease 1's remaining TTL is read when proposed.
        l.Renew(2, 10_500);
        l.Apply(new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(3, 60, 0)), 10_500);
        Assert.Equal(new LeaseRecord(1, 60, 49), l.Checkpoint(1, 11_000));
        Assert.Null(l.Checkpoint(2, 11_000));
        Assert.Null(l.Checkpoint(3, 11_000));
        // Demoted: nothing is checkpointed.
        l.Demote();
        Assert.Null(l.Checkpoint(1, 12_000));
    }

    [Fact]
    public void A_checkpoint_or_clearing_that_never_applied_is_forgotten_at_demotion_and_promotion_uses_the_applied_value()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 60, now: 0);
        Grant(l, 2, 60, now: 0, remaining: 30);
        // Lease 1: a checkpoint of 50 s is proposed and lost in a leader change (never applied anywhere).
        Assert.Equal(new LeaseRecord(1, 60, 50), l.Checkpoint(1, 10_000));
        // Lease 2: a renewal proposes clearing its applied 30 s checkpoint; that proposal is lost too.
        Assert.True(l.Renew(2, 10_000).ClearCheckpoint);

        l.Demote();
        // A follower reports what the log holds: the full TTL for lease 1, 30 s for lease 2.
        Assert.Equal(new LeaseTimeToLive(60, 60), l.TimeToLive(1, 11_000));
        Assert.Equal(new LeaseTimeToLive(60, 30), l.TimeToLive(2, 11_000));

        // Leading again, it gives each lease what any other member would: the applied value plus the extension.
        l.Promote(20_000, 1000);
        Assert.Equal(new LeaseTimeToLive(60, 61), l.TimeToLive(1, 20_000));
        Assert.Equal(new LeaseTimeToLive(60, 31), l.TimeToLive(2, 20_000));
        // And lease 2's next renewal proposes its clearing again (the applied log still holds 30 s).
        Assert.True(l.Renew(2, 21_000).ClearCheckpoint);
    }

    [Fact]
    public void A_clearing_that_never_applied_is_proposed_again_by_a_renewal_a_retry_interval_later()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 60, now: 0, remaining: 30);
        // The clearing is refused ("too many requests") or lost while this member goes on leading: nothing applies.
        Assert.True(l.Renew(1, 10_000).ClearCheckpoint);
        // While it may still be in flight, renewals propose no more.
        Assert.False(l.Renew(1, 10_000 + 3 * Second - 1).ClearCheckpoint);
        // A retry interval later the log still holds 30 s: a failover would give the kept-alive lease only that.
        Assert.True(l.Renew(1, 10_000 + 3 * Second).ClearCheckpoint);
        Assert.False(l.Renew(1, 10_000 + 3 * Second + 1).ClearCheckpoint);
        // Once the clearing applies, renewals propose nothing.
        l.Apply(new LeaseChange(LeaseChangeKind.Checkpointed, new LeaseRecord(1, 60, 0)), 20_000);
        Assert.False(l.Renew(1, 30_000).ClearCheckpoint);
    }

    [Fact]
    public void Without_checkpointing_nothing_is_checkpointed_and_renewals_clear_nothing()
    {
        var l = NewLessor(checkpointing: false);
        l.Promote(0, 0);
        Grant(l, 1, 60, now: 0, remaining: 20);
        Assert.Empty(l.DueCheckpoints(1_000_000, 100));
        Assert.False(l.Renew(1, 1000).ClearCheckpoint);
    }

    [Fact]
    public void After_a_failover_a_kept_alive_lease_lives_on_and_an_abandoned_one_expires_from_its_checkpoint()
    {
        // The old leader: two 60 s leases, checkpointed at 10 s; lease 1 is then kept alive, lease 2 abandoned.
        var old = NewLessor();
        old.Promote(0, 0);
        Grant(old, 1, 60, 0);
        Grant(old, 2, 60, 0);
        var cps = Proposed(old, 10_000);
        Assert.Equal([50L, 50L], cps.Select(c => c.RemainingTtl));
        var renewed = old.Renew(1, 12_000);
        Assert.True(renewed.ClearCheckpoint);

        // What every member applied: the grants, the checkpoints, then lease 1's checkpoint of 0.
        var next = NewLessor();
        Grant(next, 1, 60, 0);
        Grant(next, 2, 60, 0);
        foreach (var c in cps) next.Apply(new LeaseChange(LeaseChangeKind.Checkpointed, c), 10_000);
        next.Apply(new LeaseChange(LeaseChangeKind.Checkpointed, new LeaseRecord(1, 60, 0)), 12_000);

        // The old leader dies at 15 s; the new one promotes at 16 s with a 1 s extension.
        next.Promote(16_000, 1000);
        Assert.Equal(new LeaseTimeToLive(60, 61), next.TimeToLive(1, 16_000));
        Assert.Equal(new LeaseTimeToLive(60, 51), next.TimeToLive(2, 16_000));
        // The abandoned lease expires 50 s (+1) after promotion, not 60, and not at once; the kept-alive one later.
        Assert.Empty(next.Expired(16_000 + 50_999, 100));
        Assert.Equal([2L], next.Expired(16_000 + 51_000, 100));
        Assert.Equal(60, next.Renew(1, 16_000 + 55_000).Ttl);
    }

    [Fact]
    public void Many_renewals_keep_the_expiry_queue_bounded_and_correct()
    {
        var l = NewLessor();
        l.Promote(0, 0);
        Grant(l, 1, 10, 0);
        Grant(l, 2, 10, 0);
        for (var t = 1; t <= 100_000; t++) l.Renew(1, t);
        Assert.Equal([2L], l.Expired(100_000, 100));
        l.Apply(new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(2, 10, 0)), 100_000);
        Assert.Empty(l.Expired(100_000 + 9_999, 100));
        Assert.Equal([1L], l.Expired(100_000 + 10_000, 100));
    }
}
