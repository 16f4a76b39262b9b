using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Apply;

/// <summary>etcd's applierV3backend LeaseGrant, LeaseRevoke and LeaseCheckpoint over the applied lease table.</summary>
public sealed partial class Applier
{
    private ApplyResult Grant(LeaseGrantRequest r, ulong term)
    {
        if (Leases is null) return new ApplyResult(null, EtcdErrors.LeaseNotFound);
        if (Leases.Grant(r.ID, r.TTL, out var granted) is { } error) return new ApplyResult(null, error);
        return new ApplyResult(new LeaseGrantResponse { Header = Header(term), ID = r.ID, TTL = granted }, null);
    }

    /// <summary>
    /// Deletes every key attached to the lease in ONE revision (one write: watchers see one response), then the
    /// lease (etcd's lessor.Revoke). Revoking deletes keys even while the store is full, as in etcd.
    /// </summary>
    private ApplyResult Revoke(LeaseRevokeRequest r, ulong term)
    {
        if (Leases?.KeysToRevoke(r.ID) is not { } keys) return new ApplyResult(null, EtcdErrors.LeaseNotFound);
        if (keys.Count > 0) store.DeleteKeysInOneRevision(keys);
        Leases.Remove(r.ID);
        return new ApplyResult(new LeaseRevokeResponse { Header = Header(term) }, null);
    }

    /// <summary>etcd's LeaseCheckpoint: records each lease's remaining TTL (the leader's, at the time it proposed).</summary>
    private ApplyResult Checkpoint(LeaseCheckpointRequest r, ulong term)
    {
        if (Leases is not null)
            foreach (var c in r.Checkpoints) Leases.Checkpoint(c.ID, c.RemainingTTL);
        return new ApplyResult(new LeaseCheckpointResponse { Header = Header(term) }, null);
    }
}
