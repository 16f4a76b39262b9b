namespace Etcd.Actors.Raft.Core;

/// <summary>
/// ReadIndex requests a new leader holds until it has committed an entry of its own term (before that its commit
/// index may be behind the previous leader's; etcd-io/raft keeps them in <c>pendingReadIndexMessages</c>). Bounded
/// like the leader's <see cref="ReadOnlyQueue"/>: a repeat of a held (sender, context) is a retry and joins it,
/// and at most <see cref="ReadOnlyQueue.MaxPerSender"/> per sender and <see cref="ReadOnlyQueue.MaxPending"/> in
/// all are held; beyond either, the oldest (of that sender, or of all) is dropped unanswered. Without this a leader
/// that cannot commit for a while (its followers' disks stalled while they still answer heartbeats) kept one entry
/// per retry of every follower's read, and answered each of them once it could.
/// </summary>
public sealed class ReadIndexBacklog
{
    private readonly List<ReadIndexRequest> _order = [];

    public int Count => _order.Count;

    /// <summary>Holds <paramref name="req"/>; false when it is a retry of one already held (nothing changes then).</summary>
    public bool Add(ReadIndexRequest req)
    {
        var fromSender = 0;
        var oldestOfSender = -1;
        for (var i = 0; i < _order.Count; i++)
        {
            if (_order[i].From != req.From) continue;
            if (_order[i].Context == req.Context) return false;
            if (fromSender++ == 0) oldestOfSender = i;
        }
        if (fromSender >= ReadOnlyQueue.MaxPerSender) _order.RemoveAt(oldestOfSender);
        else if (_order.Count >= ReadOnlyQueue.MaxPending) _order.RemoveAt(0);
        _order.Add(req);
        return true;
    }

    /// <summary>Every held request, oldest first; the backlog is empty afterwards.</summary>
    public List<ReadIndexRequest> TakeAll()
    {
        var all = _order.ToList();
        _order.Clear();
        return all;
    }

    public void Clear() => _order.Clear();
}
