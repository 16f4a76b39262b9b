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
/// Open ranges take turns a step at a time; at most etcd.mvcc.max-open-ranges are open, and a range beyond
/// that is read whole as before (nothing is refused and memory stays bounded).
/// </summary>
public sealed partial class MvccStoreActor
{
    private readonly int _rangeStepRows;
    private readonly int _maxOpenRanges;
    // Oldest first. A null cursor is a read whose backend a snapshot replaced: it begins again at its turn.
    private readonly LinkedList<OpenRange> _openRanges = new();
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
        if (_openRanges.Count >= _maxOpenRanges) return false;
        if (Begin(range, read) is { } cursor)
        {
            _openRanges.AddLast(new OpenRange(cursor, read));
            QueueStep();
        }
        return true;
    }

    /// <summary>Begins the read: answers it when it is already complete (or failed), else returns its open cursor.</summary>
    private RangeCursor? Begin(RangeRequest range, MvccProtocol.ReadCommand read)
    {
        KvResult<RangeCursor> begun;
        try
        {
            begun = _applier.BeginRange(range, _rangeStepRows);
        }
        catch (ArgumentException ex)
        {
            read.Completion.TrySetException(ex);
            return null;
        }
        if (!begun.IsOk)
        {
            read.Completion.TrySetException(begun.Error!.ToException());
            return null;
        }
        var cursor = begun.Value!;
        if (!cursor.Done) return cursor;
        read.Completion.TrySetResult(_applier.FinishRange(cursor, _term).Response!);
        return null;
    }

    private void QueueStep()
    {
        if (_stepQueued || _openRanges.Count == 0) return;
        _stepQueued = true;
        Self.Tell(MvccProtocol.StepRanges.Instance);
    }

    /// <summary>One step of the oldest open range, which then goes to the back of the line if it is not done.</summary>
    private void StepRanges()
    {
        _stepQueued = false;
        if (_openRanges.First is not { } node) return;
        _openRanges.RemoveFirst();
        var open = node.Value;
        var read = open.Read;
        if (read.Completion.Task.IsCompleted)
        {
            // The caller gave up: stop reading for nobody.
            open.Cursor?.Close();
        }
        else if (open.Cursor is null)
        {
            if (open.Read.Request is RangeRequest range && Begin(range, read) is { } cursor)
            {
                open.Cursor = cursor;
                _openRanges.AddLast(node);
            }
        }
        else
        {
            open.Cursor.Step(_rangeStepRows);
            if (open.Cursor.Done) read.Completion.TrySetResult(_applier.FinishRange(open.Cursor, _term).Response!);
            else _openRanges.AddLast(node);
        }
        QueueStep();
        // The last range below a pending compaction's target may just have finished.
        ContinueCompactionLater();
    }

    /// <summary>The backend is about to be replaced: every open range begins again, on the new one, at its turn.</summary>
    private void RestartOpenRanges()
    {
        foreach (var open in _openRanges) open.Cursor = null;
    }

    private void FailOpenRanges(EtcdError error)
    {
        foreach (var open in _openRanges)
        {
            open.Cursor?.Close();
            open.Read.Completion.TrySetException(error.ToException());
        }
        _openRanges.Clear();
    }
}
