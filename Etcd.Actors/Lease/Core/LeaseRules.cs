namespace Etcd.Actors.Lease.Core;

/// <summary>etcd 3.4's lease limits (lease/lessor.go).</summary>
public static class LeaseRules
{
    /// <summary>etcd's MaxLeaseTTL: a grant above it fails with "too large lease TTL".</summary>
    public const long MaxTtl = 9_000_000_000;

    /// <summary>
    /// What the applied table raises a shorter TTL to (1 s, the same on every member). The member-specific minimum
    /// (<see cref="MinTtl"/>) is applied by the proposing member before it proposes: etcd raises it at apply, from
    /// each member's own configuration, so members with different election timeouts would grant different TTLs.
    /// </summary>
    public const long ApplyFloorTtl = 1;

    /// <summary>
    /// etcd's minLeaseTTL: a lease must outlive a leader election, so a shorter TTL is raised to
    /// ceil(3/2 × election ticks × heartbeat) seconds (etcdserver/server.go: <c>minTTL := time.Duration((3*cfg.ElectionTicks)/2) * heartbeat</c>,
    /// then <c>int64(math.Ceil(minTTL.Seconds()))</c>). etcd's defaults (100 ms, 10 ticks) give 2 s.
    /// </summary>
    public static long MinTtl(int electionTicks, TimeSpan heartbeat)
    {
        if (electionTicks < 1) throw new ArgumentOutOfRangeException(nameof(electionTicks), electionTicks, "at least one tick");
        // Integer division first, as etcd's (3*ElectionTicks)/2.
        var min = TimeSpan.FromTicks(3L * electionTicks / 2 * heartbeat.Ticks);
        return (long)Math.Ceiling(min.TotalSeconds);
    }
}
