namespace Etcd.Actors.Lease.Core;

/// <summary>
/// One lease as the backend keeps it (etcd's leasepb.Lease): its id, the TTL it was granted with (after the
/// minimum rule) and the remaining TTL of its last checkpoint (0: none, the full TTL applies).
/// </summary>
public readonly record struct LeaseRecord(long Id, long Ttl, long RemainingTtl);
