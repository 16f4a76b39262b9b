namespace Etcd.Actors.Compactor;

/// <summary>
/// What the compactor needs of the member (etcd's RevGetter and Compactable): the store's current revision, and
/// a Compaction proposed through Raft exactly as <c>etcdctl compact</c> proposes it, answered once applied.
/// The member's facade implements it (Server), so the compactor knows nothing of Raft or the store.
/// </summary>
public interface ICompactionTarget
{
    /// <summary>Whether this member leads now (etcd pauses the compactor on the others).</summary>
    bool IsLeader { get; }

    /// <summary>The store's current revision on this member.</summary>
    Task<long> CurrentRevisionAsync(CancellationToken ct);

    /// <summary>Proposes <c>CompactionRequest{revision}</c>; fails with the EtcdException the apply gave.</summary>
    Task CompactAsync(long revision, CancellationToken ct);
}
