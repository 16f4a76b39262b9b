using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Raft;

/// <summary>
/// Journal failures are fatal for this incarnation: nothing continues in place after a failed write.
/// Waiters of unwritten proposals fail at once (rather than time out), forwarded ones at their origin; the
/// parent recreates the actor, which recovers from what is durable.
/// </summary>
public sealed partial class RaftActor
{
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "raft {0:x16}: journal write failed at seqNr {1} ({2}); stopping", _memberId, sequenceNr, @event.GetType().Name);
        // Entries already replicated may be committed by the others: for those, etcd's "possibly" wording.
        if (_inFlightLeftMember)
        {
            RefuseAll(_inFlight, EtcdErrors.TimeoutDueToLeaderFail);
            _inFlight.Clear();
        }
        FailOutstanding(EtcdErrors.Stopped);
        base.OnPersistFailure(cause, @event, sequenceNr); // stops the actor
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "raft {0:x16}: journal rejected {1} at seqNr {2}; stopping", _memberId, @event.GetType().Name, sequenceNr);
        FailOutstanding(EtcdErrors.Stopped);
        // Unlike a failure, a rejection would let the actor continue with a hole in its log.
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "raft {0:x16}: recovery failed", _memberId);
        base.OnRecoveryFailure(reason, message);
    }

    private void FailOutstanding(EtcdError error)
    {
        RefuseAll(_inFlight, error);
        _inFlight.Clear();
        RefuseAll(_proposals, error);
        _proposals.Clear();
        RefuseAll(_held, error);
        _held.Clear();
        RefuseAll(_toForward, error);
        _toForward.Clear();
        if (_readRound is { } round)
            foreach (var read in round.Reads) read.Completion.TrySetException(error.ToException());
        _readRound = null;
        foreach (var read in _pendingReads) read.Completion.TrySetException(error.ToException());
        _pendingReads.Clear();
        while (_confQueue.TryDequeue(out var c)) RefuseMembership(c, error);
        while (_heldMembership.TryDequeue(out var h)) RefuseMembership(h.Change, error);
        _transfer?.Completion.TrySetException(error.ToException());
        _transfer = null;
        if (_snapshotFile is not null) Mvcc.DurableFiles.TryDeleteSqlite(_snapshotFile);
        _snapshotFile = null;
    }
}
