using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    /// <summary>
    /// Maintenance.HashKV (etcd's store.HashByRev): the hash of the key revisions up to <paramref name="rev"/>
    /// (0 = the current revision), computed as etcd 3.4 computes it (<see cref="HashKv"/>). A revision at or
    /// below the compacted one fails with "compacted", one beyond the current with "future revision"; a
    /// negative one hashes nothing but the bucket name, as in etcd. Reads committed rows only: call it
    /// between applies, never inside a write. While a compaction's batches are under way, the rows it will still
    /// delete are skipped, so every member hashes the same whatever batch it is at.
    /// </summary>
    public KvResult<HashKvResult> HashKv(long rev)
    {
        if (_changes != 0) throw new InvalidOperationException("hashkv inside a write");
        var compactRev = _compactMainRev;
        var currentRev = _currentRev;
        if (rev > 0 && rev <= compactRev) return EtcdErrors.Compacted;
        if (rev > 0 && rev > currentRev) return EtcdErrors.FutureRev;
        if (rev == 0) rev = currentRev;
        // The skip of rows still to be deleted needs the compaction's keep set, which its index walk collects.
        FinishIndexCompaction();
        var keep = Core.HashKv.Keep(_index.Between(ByteString.Empty, ByteString.Empty), rev);
        var hasher = new HashKvHasher(rev, compactRev, keep, _compaction is null ? null : PendingDeletion);
        if (rev > 0) _backend.ForEachRevision(rev, hasher.Add);
        return new HashKvResult(hasher.Hash, currentRev, compactRev);
    }
}
