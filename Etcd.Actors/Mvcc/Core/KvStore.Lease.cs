using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    /// <summary>
    /// Deletes <paramref name="keys"/> in one write, so in one revision (etcd's lessor.Revoke deletes a lease's keys
    /// in one txn, and watchers see one response). Keys not alive are skipped. Returns how many were deleted. The keys
    /// are gathered first so that, when watchers want previous values, those are read a batch at a time
    /// (<see cref="TombstoneKeys"/>) rather than one point read per key.
    /// </summary>
    public long DeleteKeysInOneRevision(IReadOnlyList<ByteString> keys)
    {
        BeginWrite();
        var alive = _keyScratch;
        var revs = _revScratch;
        alive.Clear();
        revs.Clear();
        long deleted;
        try
        {
            var rev = ReadRev;
            var listRevs = WantsPrevValues(null) ? revs : null;
            for (var i = 0; i < keys.Count; i++) _index.Range(keys[i], null, rev, 0, listRevs, alive);
            deleted = TombstoneKeys(alive, revs, null);
        }
        finally
        {
            ClearScratch(alive);
            ClearScratch(revs);
        }
        EndWrite();
        return deleted;
    }
}
