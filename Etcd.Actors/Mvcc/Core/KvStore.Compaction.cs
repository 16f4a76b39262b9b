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
    /// Compacts history at <paramref name="rev"/> (etcd's store.Compact): reads below it fail from now on; the
    /// index forgets what they would have read in steps (<see cref="CompactIndexStep"/>) and the backend rows it no
    /// longer needs are deleted afterwards, in batches (<see cref="CompactNextBatch"/>), both later, as etcd's FIFO
    /// scheduler runs its compaction job beside the applies. The "scheduled" mark is
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
        // A caller that does not walk the index in steps (the actor does) gets it walked first: a batch needs the keep set.
        FinishIndexCompaction();
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
    /// Starts the index part of a compaction at <paramref name="rev"/>: the keys to walk are taken now (etcd's
    /// treeIndex.Compact walks a clone of the tree, taking the index lock per key, beside the applies), and walked in
    /// steps (<see cref="CompactIndexStep"/>), each compacting its keys and collecting what the backend must keep at
    /// or below <paramref name="rev"/> (etcd's "available" set). Reads need no walk: the compacted revision, set on
    /// apply, refuses those below it, and a read at or above it finds the same revision in a key's history whether
    /// that history is compacted yet or not; a write only adds revisions above it, which neither the walk nor the
    /// keep set looks at. A compaction still under way takes the new target, a new keep set and starts its row
    /// batches again from the first row: a row the older one kept and its batches already passed may be one the
    /// newer must delete (its key deleted between the two targets); going on from where they stood left such a row
    /// behind, and a restart brought the deleted key back. Its walk goes on with the keys it has not reached yet and
    /// then walks again those it had (at the new target, for the new keep set), with the keys put since at the end
    /// (<see cref="ResumeWalk"/>): starting again from the first key, Compacts coming faster than a walk would
    /// never reach the last keys. etcd runs each compaction as its own job to the end.
    /// </summary>
    private void ScheduleCompaction(long rev)
    {
        var keys = _index.Snapshot();
        if (_compaction is { } c)
        {
            c.Target = rev;
            c.Keep = new HashSet<Revision>();
            c.Next = new Revision(0, 0);
            c.Keys = c.Keys is null ? keys : ResumeWalk(c.Keys, c.KeysWalked, keys);
            c.KeysWalked = 0;
        }
        else
        {
            _compaction = new PendingCompaction { Target = rev, Keep = new HashSet<Revision>(), Next = new Revision(0, 0), Keys = keys };
        }
    }

    /// <summary>
    /// The keys of a walk that a newer compaction takes over: first those the walk has not reached (still all in the
    /// index: only the walk drops keys), then every other key of the index now. Each key comes once.
    /// </summary>
    private static KeyIndex[] ResumeWalk(KeyIndex[] walk, int walked, KeyIndex[] now)
    {
        var ahead = walk.Length - walked;
        if (ahead == 0) return now;
        var result = new KeyIndex[now.Length];
        var first = new HashSet<KeyIndex>(ahead, ReferenceEqualityComparer.Instance);
        var n = 0;
        for (var i = walked; i < walk.Length; i++)
        {
            first.Add(walk[i]);
            result[n++] = walk[i];
        }
        for (var i = 0; i < now.Length; i++)
            if (!first.Contains(now[i])) result[n++] = now[i];
        if (n != now.Length) throw new InvalidOperationException($"compaction walk resumed with {n} keys, the index has {now.Length}");
        return result;
    }

    /// <summary>Whether the pending compaction still has index keys to walk (<see cref="CompactIndexStep"/>) before its row batches.</summary>
    public bool IndexCompactionPending => _compaction is { Keys: not null };

    /// <summary>
    /// Walks the next <paramref name="limit"/> keys of the pending compaction's index walk: compacts each at the
    /// target, drops it from the index when nothing is left of it, and adds what it keeps at or below the target to
    /// the keep set. Returns true when the walk is done (the row batches follow). Touches no backend row, so it may
    /// run while a range reads below the target, and between a write and its commit.
    /// </summary>
    public bool CompactIndexStep(int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "compaction batch limit must be at least 1");
        var c = _compaction ?? throw new InvalidOperationException("no compaction is pending");
        var keys = c.Keys ?? throw new InvalidOperationException("the compaction's index walk is done");
        var end = (int)Math.Min(keys.Length, (long)c.KeysWalked + limit);
        var removed = _removedScratch;
        for (var i = c.KeysWalked; i < end; i++)
        {
            var ki = keys[i];
            keys[i] = null!; // what the walk has passed is not kept alive by it
            removed.Clear();
            ki.Compact(c.Target, removed);
            if (ki.IsEmpty) _index.Remove(ki);
            else Core.HashKv.Keep(ki, c.Target, c.Keep);
        }
        removed.Clear();
        c.KeysWalked = end;
        if (end < keys.Length) return false;
        c.Keys = null;
        return true;
    }

    /// <summary>Walks what is left of the pending compaction's index walk at once (HashKV, watch history, a store opening).</summary>
    private void FinishIndexCompaction()
    {
        while (IndexCompactionPending) CompactIndexStep(int.MaxValue);
    }

    /// <summary>Whether a row a pending compaction will delete (HashKV skips it, so a half-done compaction hashes as a finished one).</summary>
    private bool PendingDeletion(Revision rev)
    {
        if (_compaction is not { } c) return false;
        if (c.Keys is not null) throw new InvalidOperationException("a compaction's keep set is asked for before its index walk is done");
        return rev.Main <= c.Target && !c.Keep.Contains(rev);
    }

    private sealed class PendingCompaction
    {
        public required long Target { get; set; }
        public required HashSet<Revision> Keep { get; set; }
        // The index keys the walk still has to compact (from KeysWalked on), taken when the compaction was applied;
        // null once the walk is done and the row batches run.
        public KeyIndex[]? Keys { get; set; }
        public int KeysWalked { get; set; }
        // The first row not looked at yet.
        public required Revision Next { get; set; }
        public int Batches { get; set; }
        public long Deleted { get; set; }
    }
}
