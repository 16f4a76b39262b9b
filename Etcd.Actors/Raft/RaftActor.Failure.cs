using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Raft;

/// <summary>
/// Journal failures are fatal for this incarnation: nothing continues in place after a failed write; the parent
/// recreates the actor, which recovers from what is durable. What its waiters are told depends on whether the
/// proposal may already be in a log (ours or a follower's), because then it may still be committed:
/// <list type="bullet">
/// <item>appended to the core and in the journal write in flight (<see cref="WriteCycle"/>): ambiguous, etcd's
/// <c>request timed out, possibly due to previous leader failure</c>. A failed write is not a write that
/// certainly did not happen (a journal call that timed out may still land), and a leader sent the entries to
/// its followers before its own write;</item>
/// <item>appended and durable but not committed yet: not failed here at all. The entry is in our journal, so the
/// next incarnation (or the next leader) commits or overwrites it, and the waiter is completed by the store, by
/// <c>leader changed</c> (AppendedProposals.cs) or by the request timeout;</item>
/// <item>only queued (<see cref="ProposalBatcher"/>, <see cref="ForwardQueues"/>; never stepped into the core, never
/// sent): a definite <c>server stopped</c>.</item>
/// </list>
/// Forwarded proposals get the same answer at their origin (ProposalsRefused carries the message).
/// </summary>
public sealed partial class RaftActor
{
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "raft {0:x16}: journal write failed at seqNr {1} ({2}, {3} proposals in it{4}); stopping",
            _memberId, sequenceNr, @event.GetType().Name, _write.Carried.Count, _write.SentEarly ? ", already sent to followers" : "");
        FailOutstanding(EtcdErrors.Stopped);
        base.OnPersistFailure(cause, @event, sequenceNr); // stops the actor
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "raft {0:x16}: journal rejected {1} at seqNr {2}; stopping", _memberId, @event.GetType().Name, sequenceNr);
        // A rejection (the event could not be serialized) wrote nothing, so only entries a leader already sent
        // may still be committed by the others.
        var sentEarly = _write.SentEarly;
        RefuseAll(_write.TakeCarried(), sentEarly ? EtcdErrors.TimeoutDueToLeaderFail : EtcdErrors.Stopped);
        FailOutstanding(EtcdErrors.Stopped);
        // Unlike a failure, a rejection would let the actor continue with a hole in its log.
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "raft {0:x16}: recovery failed", _memberId);
        Context.Parent.Tell(new RecoveryProtocol.RecoveryFailed(_memberId, $"{reason.GetType().Name}: {reason.Message}".ReplaceLineEndings(" ")), Self);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>
    /// Fails every waiter this incarnation holds: those whose proposal is in the write in flight as ambiguous,
    /// the merely queued ones with <paramref name="queued"/> (a definite failure: they never left the queue).
    /// </summary>
    private void FailOutstanding(EtcdError queued)
    {
        RefuseAll(_write.TakeCarried(), EtcdErrors.TimeoutDueToLeaderFail);
        RefuseAll(_requests.FailQueued(queued), queued);
        foreach (var c in _membership.TakeAll()) RefuseMembership(c, queued);
        if (_snapshotFile is not null) Mvcc.DurableFiles.TryDeleteSqlite(_snapshotFile);
        _snapshotFile = null;
    }
}
