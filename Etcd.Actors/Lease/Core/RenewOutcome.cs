namespace Etcd.Actors.Lease.Core;

/// <summary>What <see cref="Lessor.Renew"/> decided.</summary>
/// <param name="Ttl">The lease's TTL after the renewal; 0 when it was not renewed (etcdctl then says "expired or revoked").</param>
/// <param name="NotPrimary">This lessor is not the leader's: the keep-alive must go to the leader.</param>
/// <param name="ClearCheckpoint">The lease had a checkpointed remaining TTL: propose a checkpoint of 0 so a new
/// leader gives it the full TTL (etcd 3.4's Renew does the same).</param>
public readonly record struct RenewOutcome(long Ttl, bool NotPrimary, bool ClearCheckpoint);
