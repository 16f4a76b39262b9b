using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Membership changes waiting their turn, kept apart from RaftActor (no Akka, no clock: the caller passes its
/// tick count). The leader proposes one at a time, in arrival order, and only once the last committed conf change
/// is applied (so each is validated against the membership it will change); a member that knows no leader holds
/// them until one is known, or until <c>noLeaderTicks</c> pass. Both queues are bounded by <c>max</c>.
/// </summary>
internal sealed class MembershipQueue(int max, int noLeaderTicks)
{
    private readonly Queue<MembershipChange> _queued = new();
    private readonly Queue<(MembershipChange Change, long Since)> _held = new();
    private ulong _lastConfChangeIndex;

    public bool HasQueued => _queued.Count > 0;

    /// <summary>Leader: queued behind the others, or false when the queue is full.</summary>
    public bool TryQueue(MembershipChange c)
    {
        if (_queued.Count >= max) return false;
        _queued.Enqueue(c);
        return true;
    }

    /// <summary>No leader known: held from <paramref name="tick"/>, or false when full.</summary>
    public bool TryHold(MembershipChange c, long tick)
    {
        if (_held.Count >= max) return false;
        _held.Enqueue((c, tick));
        return true;
    }

    /// <summary>A conf change entry at <paramref name="index"/> was committed.</summary>
    public void ConfChangeCommitted(ulong index) => _lastConfChangeIndex = Math.Max(_lastConfChangeIndex, index);

    /// <summary>The next change to propose, when the store has applied <paramref name="applied"/> and the last conf change is among it.</summary>
    public bool TryNext(ulong applied, out MembershipChange c)
    {
        c = null!;
        if (applied < _lastConfChangeIndex) return false;
        return _queued.TryDequeue(out c!);
    }

    /// <summary>Stepped down: what was queued waits for the next leader, from <paramref name="tick"/>.</summary>
    public void SteppedDown(long tick)
    {
        while (_queued.TryDequeue(out var c)) _held.Enqueue((c, tick));
    }

    /// <summary>A leader is known: everything held, in order, to be routed again.</summary>
    public List<MembershipChange> TakeHeld()
    {
        var all = _held.Select(h => h.Change).ToList();
        _held.Clear();
        return all;
    }

    /// <summary>Everything, queued then held, to be refused (the member stops).</summary>
    public List<MembershipChange> TakeAll()
    {
        var all = _queued.ToList();
        _queued.Clear();
        all.AddRange(TakeHeld());
        return all;
    }

    /// <summary>Held changes that waited <c>noLeaderTicks</c> or more by <paramref name="tick"/>; the rest stay, in order.</summary>
    public List<MembershipChange> Expire(long tick)
    {
        var expired = new List<MembershipChange>();
        var n = _held.Count;
        for (var i = 0; i < n; i++)
        {
            var (c, since) = _held.Dequeue();
            if (tick - since >= noLeaderTicks) expired.Add(c);
            else _held.Enqueue((c, since));
        }
        return expired;
    }
}
