using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;

namespace Etcd.Actors.Lease;

/// <summary>
/// Keep-alives, TTL questions and the lease list are answered only from a current lessor. A restarted lease manager
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
    // False from a restart until the store's table arrives (the first incarnation is told it when the store opens).
    private bool _tableLoaded = true;

    private long ApplyWaitMs => (long)_settings.ApplyWait.TotalMilliseconds;

    /// <summary>Asks the store for the table when it exists already: this incarnation replaces one that had it.</summary>
    private void AskTable()
    {
        if (_store() is not { } store) return;
        _tableLoaded = false;
        store.Tell(new MvccLeaseProtocol.GetLeaseTable(Self));
    }

    /// <summary>Whether the answer to <paramref name="request"/> must wait; if so it is held (or refused when full).</summary>
    private bool Hold(object request)
    {
        if (_tableLoaded) return false;
        if (_held.Count >= _settings.MaxForwardsInFlight)
        {
            Fail(request, EtcdErrors.TooManyRequests);
            return true;
        }
        _held.Enqueue(new HeldRequest(Now + ApplyWaitMs, request));
        return true;
    }

    /// <summary>Answers what may be answered now, and fails what waited too long (the loop runs every 500 ms).</summary>
    private void ReleaseHeld(long now)
    {
        while (_held.TryPeek(out var h))
        {
            if (_tableLoaded) Dispatch(h.Request);
            else if (h.DeadlineMs <= now) Fail(h.Request, EtcdErrors.TimeoutWaitAppliedIndex);
            else break;
            _held.Dequeue();
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
                if (_peers.TryGet(f.From, out var reply))
                    reply.Tell(new Etcd.Api.Etcdserverpb.PeerEnvelope
                    {
                        ClusterId = _clusterId, To = f.From, From = _memberId,
                        LeaseAnswer = new Etcd.Api.Etcdserverpb.LeaseForwardAnswer { Seq = f.Forward.Seq, LeaseID = f.Forward.LeaseID, NotLeader = true },
                    }, Self);
                break;
        }
    }

    private void FailHeld(EtcdError error)
    {
        while (_held.TryDequeue(out var h)) Fail(h.Request, error);
    }
}
