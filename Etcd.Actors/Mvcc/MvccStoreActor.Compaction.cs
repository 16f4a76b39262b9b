using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Index and physical compaction in bounded steps (etcd's kvstore.go compact job and kvstore_compaction.go
/// scheduleCompaction). Applying a Compaction sets the compacted revision (reads below it fail from then on) and
/// writes the "scheduled" mark with the batch; then the index is walked, --experimental-compaction-batch-limit keys
/// per step, and the backend rows go, that many rows looked at per batch, each batch its own transaction: one step or
/// batch per <see cref="CompactionProtocol.ContinueCompaction"/> that the store tells itself. Applies, reads and
/// HashKV that arrive meanwhile are served between two of them, so a compaction of a million revisions holds the
/// store for one step at a time. etcd runs the batches on a goroutine beside the apply
/// loop and sleeps 10 ms between them; here the mailbox is the scheduler, which needs no lock, and a timer makes the
/// same pause after each row batch (etcd.mvcc.compaction-batch-interval): without it, under a flood of puts every
/// apply turn could be followed by a batch (measured in docs/benchmarks.md "Compaction and writes"). A crash between
/// batches leaves "scheduled" past "finished"; the store that reopens the file re-compacts its index and goes on from
/// the first row (KvStore.Restore).
/// </summary>
public sealed partial class MvccStoreActor
{
    private readonly int _compactionBatchLimit;
    private readonly TimeSpan _compactionBatchInterval;
    private const string CompactionTimerKey = "compaction-batch";
    // Whether a ContinueCompaction is in the mailbox, so that no more than one ever is.
    private bool _compactionQueued;
    private Stopwatch? _compactionClock;
    // Compact RPCs with physical set, waiting for the compaction under way to end; bounded like every queue here.
    internal const int MaxCompactionWaiters = 1024;
    private readonly List<TaskCompletionSource> _compactionWaiters = [];

    private void ReceiveCompaction()
    {
        Receive<CompactionProtocol.ContinueCompaction>(_ => CompactNextBatch());
        Receive<CompactionProtocol.NotifyCompacted>(n =>
        {
            if (!_store.CompactionPending) n.Done.TrySetResult();
            else if (_compactionWaiters.Count >= MaxCompactionWaiters) n.Done.TrySetException(EtcdErrors.TooManyRequests.ToException());
            else _compactionWaiters.Add(n.Done);
        });
    }

    /// <summary>Answers the physical Compact RPCs once nothing is left to compact.</summary>
    private void ReleaseCompactionWaiters()
    {
        if (_store.CompactionPending || _compactionWaiters.Count == 0) return;
        foreach (var w in _compactionWaiters) w.TrySetResult();
        _compactionWaiters.Clear();
    }

    private void FailCompactionWaiters(EtcdError error)
    {
        foreach (var w in _compactionWaiters) w.TrySetException(error.ToException());
        _compactionWaiters.Clear();
    }

    /// <summary>
    /// A snapshot replaced the store: what it carries is compacted from scratch (its own log line and clock), and
    /// the RPCs waiting for the old store's compaction are answered when the new one has none under way.
    /// </summary>
    private void CompactionAfterStoreReplaced()
    {
        _compactionClock = null;
        ReleaseCompactionWaiters();
        ContinueCompactionLater();
    }

    /// <summary>Queues the next batch if a compaction is under way and none is queued (after applies, at start).</summary>
    private void ContinueCompactionLater(bool afterBatch = false)
    {
        if (_compactionQueued || !_store.CompactionPending) return;
        // Row batches held by a range reading below the target: its last step queues the batch
        // (MvccStoreActor.RangeSteps.cs). The index walk deletes no row, so such a range does not hold it.
        if (!_store.IndexCompactionPending && _store.CompactionHeldByReads) return;
        if (_compactionClock is null)
        {
            _compactionClock = Stopwatch.StartNew();
            // etcd's treeIndex.Compact line, logged when its walk begins.
            _log.Info("store.index: compact {0}", _store.CompactedRevision);
        }
        _compactionQueued = true;
        // After a row batch, etcd's pause (etcd.mvcc.compaction-batch-interval): the batches' share of this thread stays
        // bounded under any write load. Index steps and the first batch follow at once, as in etcd's job.
        if (afterBatch && _compactionBatchInterval > TimeSpan.Zero)
            Timers.StartSingleTimer(CompactionTimerKey, CompactionProtocol.ContinueCompaction.Instance, _compactionBatchInterval);
        else
            Self.Tell(CompactionProtocol.ContinueCompaction.Instance);
    }

    private void CompactNextBatch()
    {
        _compactionQueued = false;
        // The store may have been replaced (snapshot install) or finished meanwhile.
        if (!_store.CompactionPending)
        {
            ReleaseCompactionWaiters();
            return;
        }
        if (_store.IndexCompactionPending)
        {
            _store.CompactIndexStep(_compactionBatchLimit);
            ContinueCompactionLater();
            return;
        }
        // A range read below the target still reads rows this batch could delete: the last of those reads to
        // finish queues the batch again (MvccStoreActor.RangeSteps.cs).
        if (_store.CompactionHeldByReads) return;
        var batch = _store.CompactNextBatch(_compactionBatchLimit);
        Context.System.EventStream.Publish(new CompactionProtocol.BatchCommitted(_memberId, batch));
        if (batch.Done)
        {
            var took = (_compactionClock?.Elapsed ?? TimeSpan.Zero).TotalMilliseconds;
            _log.Info("finished scheduled compaction at {0} (took {1}ms; {2} rows deleted in {3} batches)",
                batch.Target, took.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), batch.TotalDeleted, batch.Batches);
            _compactionClock = null;
            ReleaseCompactionWaiters();
            return;
        }
        ContinueCompactionLater(afterBatch: true);
    }
}
