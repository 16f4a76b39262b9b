namespace Etcd.Actors.Lease.Core;

/// <summary>A lease's granted TTL and what is left of it, in whole seconds (etcd truncates, as here).</summary>
public readonly record struct LeaseTimeToLive(long GrantedTtl, long Remaining);
