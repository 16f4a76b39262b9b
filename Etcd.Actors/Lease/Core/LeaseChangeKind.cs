namespace Etcd.Actors.Lease.Core;

/// <summary>What an applied entry did to a lease (what the time side must learn of it).</summary>
public enum LeaseChangeKind
{
    Granted,
    Revoked,
    Checkpointed,
}
