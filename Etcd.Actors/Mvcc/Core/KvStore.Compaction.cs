using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    private readonly List<Revision> _removedScratch = new();

    /// <summary>
    /// Compacts history at <paramref name="rev"/> (etcd's store.Compact): reads below it fail from now on;
    /// per key the newest revision ≤ rev and everything after stay; tombstones ≤ rev go. Done synchronously
    /// in the current backend batch; the "scheduled" mark is written first so that a restart can tell a
    /// compaction that did not finish (it cannot happen here since both land in one transaction, but the
    /// meta keeps etcd's shape and restore handles it).
    /// </summary>
    public KvResult<CompactionResponse> Compact(long rev)
    {
        if (rev <= _compactMainRev) return EtcdErrors.Compacted;
        if (rev > _currentRev) return EtcdErrors.FutureRev;
        _backend.SetScheduledCompaction(rev);
        _compactMainRev = rev;
        CompactIndexAndBackend(rev);
        return new CompactionResponse();
    }

    private void CompactIndexAndBackend(long rev)
    {
        var removed = _removedScratch;
        removed.Clear();
        _index.Compact(rev, removed);
        for (var i = 0; i < removed.Count; i++) _backend.DeleteRevision(removed[i]);
        removed.Clear();
        _backend.SetCompactedRevision(rev);
    }
}
