using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Range reads in steps, so that a large read does not stall writes (issue 11): a Range that needs more than
/// etcd.mvcc.range-step-rows values is answered by a <see cref="RangeCursor"/> that reads that many per
/// <see cref="MvccProtocol.StepRanges"/> the store tells itself, and applies that reach the mailbox meanwhile
/// run between two steps. Before this a range of 40,000 keys held the store's thread for its whole length and
/// put p99 under a loop of such reads rose ~9× (etcd's ~2×; docs/benchmarks.md). The index is scanned when the
/// read begins, so the keys, the count and the revision are those of that moment, as a single read's would be.
/// The oldest open range is stepped first, up to <see cref="HeadSteps"/> steps in a row, and at most
/// etcd.mvcc.max-open-ranges are open (each holds its key revisions and the values read so far); later ones wait their
/// turn unbegun, at most etcd.mvcc.max-pending-reads of them, and only a range beyond both is read whole, as before.
/// A read that one step surely answers (one key, a count, a small limit) never waits: it is served when it comes, since
/// it holds nothing between turns. Oldest first and few open, because values read early and kept across collections
/// get promoted: with 64 open ranges taking turns a step each, 100 clients reading 1,000 keys ran ~70 background gen2
/// collections per 4,000 ranges (docs/benchmarks.md "Ranges read oldest first").
/// </summary>
public sealed partial class MvccStoreActor
{
    /// <summary>
    /// Steps the oldest open range takes in a row before it goes to the back (20 MB of 256-byte values at 500 rows a
    /// step): a range of a million keys then shares the store with the ranges behind it rather than holding them until
    /// the request timeout, while ranges of a few thousand keys still finish in one go.
    /// </summary>
    internal const int HeadSteps = 8;

    private readonly int _rangeStepRows;
    private readonly int _maxOpenRanges;
    // Steps the first open range has taken since it became first.
    private int _headSteps;
    // Oldest first, at most _maxOpenRanges. A null cursor is a read whose backend a snapshot replaced: it begins
    // again at its turn.
    private readonly LinkedList<OpenRange> _openRanges = new();
    // Ranges that found every open slot taken, oldest first, at most MaxPendingReadBatches; begun as slots free up.
    private readonly Queue<MvccProtocol.ReadCommand> _waitingRanges = new();
    // Whether a StepRanges is in the mailbox, so that no more than one ever is.
    private bool _stepQueued;

    private sealed class OpenRange(RangeCursor? cursor, MvccProtocol.ReadCommand read)
    {
        public RangeCursor? Cursor { get; set; } = cursor;
        public MvccProtocol.ReadCommand Read { get; } = read;
    }

    /// <summary>Begins <paramref name="range"/> in steps; false when it is to be read whole (too many open already).</summary>
    private bool TryServeInSteps(RangeRequest range, MvccProtocol.ReadCommand read)
    {
        // Behind ranges already waiting, so they are begun in the order they came; unless one step answers it.
        if (_openRanges.Count >= _maxOpenRanges || _waitingRanges.Count > 0)
        {
            if (SurelySmall(range) && TryAnswerInOneStep(range, read)) return true;
            if (_waitingRanges.Count >= MaxPendingReadBatches) return false;
            _waitingRanges.Enqueue(read);
            QueueStep();
            return true;
        }
        if (BeginInSteps(range, read) is { } cursor)
        {
            _openRanges.AddLast(new OpenRange(cursor, read));
            QueueStep();
        }
        return true;
    }

    /// <summary>
    /// Whether one step answers <paramref name="range"/> whatever the keys: one key, a count, or at most a step's rows
    /// with no order or filter (StartRange reads all of a sorted or filtered range). Only those skip the queue: trying
    /// any other read would scan its index for nothing whenever it turned out larger, which is every time under a load
    /// of large ranges.
    /// </summary>
    private bool SurelySmall(RangeRequest range) =>
        range.RangeEnd.IsEmpty || range.CountOnly
        || (range.Limit > 0 && range.Limit <= _rangeStepRows && !KvStore.Filtered(range)
            && KvStore.SortOrderOf(range) == RangeRequest.Types.SortOrder.None);

    /// <summary>
    /// Begins the read: answers it when it is already complete (or failed), else returns its open cursor, whose rows go
    /// on as bytes when the caller asked for that (a range that stays open is a large one, whose rows would otherwise
    /// outlive several collections: EncodedKvs).
    /// </summary>
    private RangeCursor? BeginInSteps(RangeRequest range, MvccProtocol.ReadCommand read)
    {
        var cursor = Answer(read, () => _applier.BeginRange(range, _rangeStepRows, read.Asker));
        if (cursor is { CanEncode: true } && read.EncodeKvs) cursor.EncodeTo(new EncodedKvs(KvChunkPool.Ranges, KvChunkPool.ChunkBytes));
        return cursor;
    }

    /// <summary>Answers the read when one step does (or it failed); false, with nothing read, when it would take more.</summary>
    private bool TryAnswerInOneStep(RangeRequest range, MvccProtocol.ReadCommand read)
    {
        var declined = false;
        Answer(read, () =>
        {
            if (_applier.RangeInOneStep(range, _rangeStepRows, read.Asker) is { } answered) return answered;
            declined = true;
            return default;
        });
        return !declined;
    }

    /// <summary>
    /// Runs <paramref name="begin"/> and answers the read if it failed or is complete; returns the cursor left open,
    /// if any. A result with neither a cursor nor an error is a read not begun, left unanswered.
    /// </summary>
    private RangeCursor? Answer(MvccProtocol.ReadCommand read, Func<KvResult<RangeCursor>> begin)
    {
        KvResult<RangeCursor> begun;
        try
        {
            begun = begin();
        }
        catch (ArgumentException ex)
        {
            read.Completion.TrySetException(ex);
            return null;
        }
        catch (Exception ex)
        {
            // The store is broken (a backend error, a broken invariant): answer this caller, then fail as before.
            read.Completion.TrySetException(ex);
            throw;
        }
        if (!begun.IsOk)
        {
            read.Completion.TrySetException(begun.Error!.ToException());
            return null;
        }
        if (begun.Value is not { } cursor) return null;
        if (!cursor.Done) return cursor;
        Finish(read, cursor);
        return null;
    }

    /// <summary>Answers a finished range: its response, or "revision of auth store is old" when auth changed while it was read.</summary>
    private void Finish(MvccProtocol.ReadCommand read, RangeCursor cursor)
    {
        var result = _applier.FinishRange(cursor, _term, read.Asker);
        if (result.Error is null)
        {
            var response = (RangeResponse)result.Response!;
            if (cursor.Encoded is { } encoded) EncodedRanges.Attach(response, encoded);
            // A caller that gave up meanwhile gets nothing: its rows go back at once.
            if (!read.Completion.TrySetResult(response) && EncodedRanges.TryTake(response, out var dropped)) dropped.Release();
        }
        else
        {
            cursor.Encoded?.Release();
            read.Completion.TrySetException(result.Error.ToException());
        }
    }

    private void QueueStep()
    {
        if (_stepQueued || (_openRanges.Count == 0 && _waitingRanges.Count == 0)) return;
        _stepQueued = true;
        Self.Tell(MvccProtocol.StepRanges.Instance);
    }

    /// <summary>One step of the oldest open range, which stays first until it is done or has taken <see cref="HeadSteps"/>.</summary>
    private void StepRanges()
    {
        _stepQueued = false;
        DropAbandonedRanges();
        BeginWaitingRanges();
        if (_openRanges.First is { } node)
        {
            var open = node.Value;
            var read = open.Read;
            if (open.Cursor is null)
            {
                if (read.Request is RangeRequest range && BeginInSteps(range, read) is { } cursor) open.Cursor = cursor;
                else RemoveOpen(node);
            }
            else
            {
                open.Cursor.Step(_rangeStepRows);
                if (open.Cursor.Done)
                {
                    RemoveOpen(node);
                    Finish(read, open.Cursor);
                }
                else if (++_headSteps >= HeadSteps && _openRanges.Count > 1)
                {
                    // Its run is over: the others get theirs.
                    RemoveOpen(node);
                    _openRanges.AddLast(node);
                }
            }
        }
        QueueStep();
        // The last range below a pending compaction's target may just have finished.
        ContinueCompactionLater();
    }

    /// <summary>Closes the open ranges whose callers gave up (timeout or cancellation): no reading for nobody, and no compaction held for them.</summary>
    private void DropAbandonedRanges()
    {
        for (var node = _openRanges.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Read.Completion.Task.IsCompleted)
            {
                node.Value.Cursor?.Close();
                RemoveOpen(node);
            }
            node = next;
        }
    }

    /// <summary>Removes an open range; the next first one starts its run of <see cref="HeadSteps"/>.</summary>
    private void RemoveOpen(LinkedListNode<OpenRange> node)
    {
        if (node == _openRanges.First) _headSteps = 0;
        _openRanges.Remove(node);
    }

    /// <summary>Begins waiting ranges while open slots are free (one turn each: a begin reads its first step).</summary>
    private void BeginWaitingRanges()
    {
        while (_openRanges.Count < _maxOpenRanges && _waitingRanges.TryDequeue(out var read))
        {
            if (read.Completion.Task.IsCompleted || read.Request is not RangeRequest range) continue;
            _openRanges.AddLast(new OpenRange(null, read));
            if (BeginInSteps(range, read) is { } cursor) _openRanges.Last!.Value.Cursor = cursor;
            else RemoveOpen(_openRanges.Last!);
            // One begin per turn: the step of an open range is the next thing this turn does.
            return;
        }
    }

    /// <summary>The backend is about to be replaced: every open range begins again, on the new one, at its turn.</summary>
    private void RestartOpenRanges()
    {
        foreach (var open in _openRanges)
        {
            // Unfinished, so its bytes are nobody else's: back to the pool; the range encodes afresh when begun again.
            open.Cursor?.Encoded?.Release();
            open.Cursor = null;
        }
    }

    private void FailOpenRanges(EtcdError error)
    {
        foreach (var open in _openRanges)
        {
            open.Cursor?.Close();
            open.Read.Completion.TrySetException(error.ToException());
        }
        _openRanges.Clear();
        _headSteps = 0;
        while (_waitingRanges.TryDequeue(out var read)) read.Completion.TrySetException(error.ToException());
    }
}
