using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    private readonly List<Revision> _removedScratch = new();
    private readonly List<Revision> _batchScratch = new();

    // The physical compaction under way (etcd's scheduleCompaction job), or null. The index is compacted at once;
    // the backend rows go in batches (CompactNextBatch), each its own transaction.
    private PendingCompaction? _compaction;

    /// <summary>
    /// Compacts history at <paramref name="rev"/> (etcd's store.Compact): reads below it fail from now on and
    /// the index forgets what they would have read, at once; the backend rows it no longer needs are deleted
    /// later, in batches (<see cref="CompactNextBatch"/>), as etcd's FIFO scheduler does. The "scheduled" mark is
    /// written with the current batch, so a restart between the batches finishes the compaction (Restore).
    /// </summary>
    public KvResult<CompactionResponse> Compact(long rev)
    {
        if (rev <= _compactMainRev) return EtcdErrors.Compacted;
        if (rev > _currentRev) return EtcdErrors.FutureRev;
        _backend.SetScheduledCompaction(rev);
        _compactMainRev = rev;
        _dirty = true;
        ScheduleCompaction(rev);
        return new CompactionResponse();
    }

    /// <summary>Whether backend rows of a compaction are still to be deleted (call <see cref="CompactNextBatch"/>).</summary>
    public bool CompactionPending => _compaction is not null;

    /// <summary>
    /// One batch of the physical compaction (etcd's scheduleCompaction loop body): looks at the next
    /// <paramref name="limit"/> committed rows at or below the compaction's revision, deletes those the compacted
    /// index does not keep, and commits that as its own backend transaction (with the consistent index unchanged).
    /// A batch that sees fewer than <paramref name="limit"/> rows is the last: it also records the compaction as
    /// finished. Call it between applies only: it commits, so nothing of a write may be buffered.
    /// </summary>
    public CompactionBatch CompactNextBatch(int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "compaction batch limit must be at least 1");
        var c = _compaction ?? throw new InvalidOperationException("no compaction is pending");
        if (_changes != 0 || _dirty) throw new InvalidOperationException("compaction batch while a write is not committed");
        if (CompactionHeldByReads) throw new InvalidOperationException("compaction batch while a range reads below its target");
        var rows = _batchScratch;
        rows.Clear();
        _backend.CommittedRevisionsFrom(c.Next, c.Target, limit, rows);
        var deleted = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (c.Keep.Contains(rows[i])) continue;
            _backend.DeleteRevision(rows[i]);
            deleted++;
        }
        var done = rows.Count < limit;
        if (rows.Count > 0) c.Next = new Revision(rows[^1].Main, rows[^1].Sub + 1);
        c.Deleted += deleted;
        c.Batches++;
        if (done) _backend.SetCompactedRevision(c.Target);
        var scanned = rows.Count;
        rows.Clear();
        _backend.Commit(_backend.ConsistentIndex);
        var batch = new CompactionBatch(c.Target, scanned, deleted, c.Batches, c.Deleted, done);
        if (done) _compaction = null;
        return batch;
    }

    /// <summary>
    /// Compacts the index at <paramref name="rev"/> and remembers what the backend must keep at or below it
    /// (etcd's kvindex.Compact returns the same "available" set). A compaction still under way takes the new target
    /// and looks at every row again from the first: a row the older one kept and its batches already passed may be
    /// one the newer must delete (its key deleted between the two targets); going on from where it stood left such a
    /// row behind, and a restart brought the deleted key back. etcd runs each compaction as its own job from the start.
    /// </summary>
    private void ScheduleCompaction(long rev)
    {
        var removed = _removedScratch;
        removed.Clear();
        _index.Compact(rev, removed);
        removed.Clear();
        var keep = Core.HashKv.Keep(_index.Between(ByteString.Empty, ByteString.Empty), rev);
        if (_compaction is { } c)
        {
            c.Target = rev;
            c.Keep = keep;
            c.Next = new Revision(0, 0);
        }
        else
        {
            _compaction = new PendingCompaction { Target = rev, Keep = keep, Next = new Revision(0, 0) };
        }
    }

    /// <summary>Whether a row a pending compaction will delete (HashKV skips it, so a half-done compaction hashes as a finished one).</summary>
    private bool PendingDeletion(Revision rev) =>
        _compaction is { } c && rev.Main <= c.Target && !c.Keep.Contains(rev);

    private sealed class PendingCompaction
    {
        public required long Target { get; set; }
        public required HashSet<Revision> Keep { get; set; }
        // The first row not looked at yet.
        public required Revision Next { get; set; }
        public int Batches { get; set; }
        public long Deleted { get; set; }
    }
}
