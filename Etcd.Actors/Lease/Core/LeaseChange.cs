namespace Etcd.Actors.Lease.Core;

/// <summary>
/// One applied change to the lease table, handed by the store to the member's lease manager after the batch
/// is durable, in log order: the time side (<see cref="Lessor"/>) follows the applied table this way.
/// </summary>
public readonly record struct LeaseChange(LeaseChangeKind Kind, LeaseRecord Lease);
