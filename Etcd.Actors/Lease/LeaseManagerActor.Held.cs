using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Lease;

/// <summary>
/// Keep-alives, TTL questions and the lease list are answered only from a current lessor.
/// <para>
/// The leader renews a lease or answers its TTL only once its lessor has seen every lease change up to the commit index
/// at the time of the request (etcd 3.5's waitAppliedIndex before Renew and TimeToLive, also for forwarded ones): a
/// lease granted through a follower is committed by the leader, and its client may renew it through the follower as
/// soon as the follower applied it, before the leader's own store has; the lessor would answer TTL 0, "lease not found",
/// for a lease that exists. The index is <see cref="MemberStatus.Commit"/>; the store says when it has applied up to it
/// (<see cref="MvccLeaseProtocol.NotifyApplied"/>), after telling this actor the lease changes up to there.
/// </para>
/// A restarted lease manager
/// has lost the table (the store announces it only when it opens its backend), so it asks the store for it in PreStart
/// and holds them until the table is back: answering from an empty table would tell a client its lease is gone
/// (TTL 0) or list nothing. Held requests are bounded (<see cref="LeaseSettings.MaxForwardsInFlight"/>,
/// "too many requests" beyond) and fail after <see cref="LeaseSettings.ApplyWait"/> with etcd's "request timed out,
/// waiting for the applied index took too long"; a forwarded one is answered "not leader" then, so its follower asks
/// again until its own timeout.
/// </summary>
public sealed partial class LeaseManagerActor
{
    private readonly Func<IActorRef?> _store;
    private readonly Queue<HeldRequest> _held = new();
    // What the store last said it has applied (every lease change up to it has been handled here), and whether this
    // actor is waiting for it to say more (asked again at each loop: a restarted store forgets the wait).
    private ulong _appliedIndex;
    private bool _appliedAsked;
    // False from a restart until the store's table arrives (the first incarnation is told it when the store opens).
    private bool _tableLoaded = true;

    private long ApplyWaitMs => (long)_settings.ApplyWait.TotalMilliseconds;

    /// <summary>
    /// Asks the store for the table when it exists already: this incarnation replaces one that had it. Asked again at
    /// each loop until it arrives (a store restarting meanwhile drops the question).
    /// </summary>
    private void AskTable()
    {
        if (_store() is not { } store) return;
        _tableLoaded = false;
        store.Tell(new MvccLeaseProtocol.GetLeaseTable(Self));
    }

    /// <summary>Whether the answer to <paramref name="request"/> must wait; if so it is held (or refused when full).</summary>
    private bool Hold(object request)
    {
        // Only the leader waits for the applied index, as in etcd (a follower forwards; the list is this member's own).
        var index = _lessor.IsPrimary && request is not LeaseProtocol.List ? _status?.Commit ?? 0 : 0;
        if (_tableLoaded && index <= _appliedIndex && _held.Count == 0) return false;
        if (_held.Count >= _settings.MaxForwardsInFlight)
        {
            Fail(request, EtcdErrors.TooManyRequests);
            return true;
        }
        _held.Enqueue(new HeldRequest(index, Now + ApplyWaitMs, request));
        if (_tableLoaded) AskApplied(index);
        return true;
    }

    private void AskApplied(ulong index)
    {
        if (_appliedAsked || (_store() ?? _mvcc) is not { } store) return;
        _appliedAsked = true;
        store.Tell(new MvccLeaseProtocol.NotifyApplied(index));
    }

    private void OnAppliedUpTo(MvccLeaseProtocol.AppliedUpTo a)
    {
        _appliedAsked = false;
        if (a.Index > _appliedIndex) _appliedIndex = a.Index;
        TryPromote(); // a new leader's first entry applied: primary now, not at the next loop
        ReleaseHeld(Now);
    }

    /// <summary>Answers what may be answered now, and fails what waited too long (the loop runs every 500 ms).</summary>
    private void ReleaseHeld(long now)
    {
        // In arrival order: the commit index only grows, so nothing behind a request that must wait may go first.
        while (_held.TryPeek(out var h))
        {
            var ready = _tableLoaded && h.Index <= _appliedIndex;
            if (!ready && h.DeadlineMs > now)
            {
                if (_tableLoaded) AskApplied(h.Index);
                return;
            }
            _held.Dequeue();
            if (ready) Dispatch(h.Request);
            else Fail(h.Request, EtcdErrors.TimeoutWaitAppliedIndex);
        }
    }

    private void Dispatch(object request)
    {
        switch (request)
        {
            case LeaseProtocol.KeepAlive k:
                RenewNow(k);
                break;
            case LeaseProtocol.TimeToLive t:
                TimeToLiveNow(t);
                break;
            case ForwardedLeaseRequest f:
                AnswerNow(f.From, f.Forward);
                break;
            case LeaseProtocol.List l:
                l.Completion.TrySetResult(_lessor.Ids());
                break;
        }
    }

    private void Fail(object request, EtcdError error)
    {
        switch (request)
        {
            case LeaseProtocol.KeepAlive k:
                k.Completion.TrySetException(error.ToException());
                break;
            case LeaseProtocol.TimeToLive t:
                t.Completion.TrySetException(error.ToException());
                break;
            case LeaseProtocol.List l:
                l.Completion.TrySetException(error.ToException());
                break;
            case ForwardedLeaseRequest f:
                Reply(f.From, new LeaseForwardAnswer { Seq = f.Forward.Seq, LeaseID = f.Forward.LeaseID, NotLeader = true });
                break;
            case LeaseDuty d:
                // Not confirmed as leader: nothing is proposed (a lease still expired is offered again after the retry interval).
                _log.Debug("lease: {0} revocations and {1} checkpoints not proposed: leadership not confirmed ({2})", d.Expired.Count, d.Checkpoints.Count, error.Message);
                break;
        }
    }

    private void FailHeld(EtcdError error)
    {
        while (_held.TryDequeue(out var h)) Fail(h.Request, error);
    }
}
