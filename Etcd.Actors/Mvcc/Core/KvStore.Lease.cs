using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    /// <summary>
    /// Deletes <paramref name="keys"/> in one write, so in one revision (etcd's lessor.Revoke deletes a lease's keys
    /// in one txn, and watchers see one response). Keys not alive are skipped. Returns how many were deleted.
    /// </summary>
    public long DeleteKeysInOneRevision(IReadOnlyList<ByteString> keys)
    {
        BeginWrite();
        long deleted = 0;
        for (var i = 0; i < keys.Count; i++) deleted += DeleteKeys(keys[i], null);
        EndWrite();
        return deleted;
    }
}
