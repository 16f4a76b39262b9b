using Akka.Configuration;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Lease;

/// <summary>
/// LeaseManagerActor's settings: whether remaining TTLs are checkpointed through Raft
/// (<c>--experimental-enable-lease-checkpoint</c>, ours on by default) and etcd's lessor constants, which etcd
/// does not expose as flags either (lease/lessor.go). The member sets <see cref="PromoteExtension"/> from its
/// election timeout.
/// </summary>
public sealed record LeaseSettings
{
    private LeaseSettings()
    {
    }

    public static LeaseSettings Default { get; } = Create(Config.Empty);

    /// <summary>--experimental-enable-lease-checkpoint (etcd's default false; ours true: docs/design.md, Lease).</summary>
    public required bool Checkpointing { get; init; }

    /// <summary>etcd's leaseCheckpointInterval: how often the leader checkpoints a long lease's remaining TTL.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>etcd's maxLeaseCheckpointBatchSize: remaining TTLs per checkpoint proposal.</summary>
    public int MaxCheckpointBatch { get; init; } = 1000;

    /// <summary>etcd's revokeExpiredLeases loop: how often the leader looks for expired leases and due checkpoints.</summary>
    public TimeSpan LoopInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>etcd's leaseRevokeRate: at most this many revocations proposed per second (half per 500 ms loop).</summary>
    public int RevokeRatePerSecond { get; init; } = 1000;

    /// <summary>etcd's expiredLeaseRetryInterval: an expired lease still there this long after its revoke was proposed is proposed again.</summary>
    public TimeSpan RetryRevoke { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>What a new leader adds to every lease's life (etcd: Promote(electionTimeout)).</summary>
    public TimeSpan PromoteExtension { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Keep-alives and TTL queries a follower has forwarded to the leader and not had answered; beyond it "too many requests".</summary>
    public int MaxForwardsInFlight { get; init; } = 10_000;

    /// <summary>
    /// Forwarded requests the leader holds from one member at a time (a tenth of <see cref="MaxForwardsInFlight"/>,
    /// which local keep-alives share); beyond it the member is answered "not leader" and asks again at its next loop.
    /// </summary>
    public int MaxForwardedPerMember { get; init; } = 1_000;

    /// <summary>How long a follower waits for the leader's answer to a forwarded keep-alive or TTL query.</summary>
    public TimeSpan ForwardTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// etcd 3.5's applyTimeout: how long the leader holds a keep-alive or TTL question until its lessor is current
    /// (LeaseManagerActor.Held.cs); then "request timed out, waiting for the applied index took too long".
    /// </summary>
    public TimeSpan ApplyWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the leader waits for the ReadIndex round that confirms it still leads before a renewal is answered
    /// (etcd 3.5.8's ensureLeadership, LeaseManagerActor.Leadership.cs); then the renewal fails with "not leader".
    /// Below <see cref="ForwardTimeout"/>, so a follower hears "not leader" in time to ask the new leader.
    /// </summary>
    public TimeSpan LeadershipWait { get; init; } = TimeSpan.FromSeconds(3);

    public static LeaseSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        return new LeaseSettings { Checkpointing = r.Bool("etcd.experimental-enable-lease-checkpoint") };
    }
}
