using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// The leader's safe ReadIndex queue (etcd's readOnly, ReadOnlySafe). A request's commit index is
/// only served once a quorum acknowledged a heartbeat sent after it arrived, which proves no newer
/// leader could have committed anything this leader does not know. A quorum ack for one request also
/// confirms every request queued before it.
/// </summary>
public sealed class ReadOnlyQueue
{
    private readonly Dictionary<ByteString, ReadIndexRequest> _pending = new();
    private readonly List<ByteString> _order = [];

    public int Count => _order.Count;

    public void Add(ulong commitIndex, ulong from, ByteString context)
    {
        // A duplicate context would alias two requests; the first one wins, as in etcd.
        if (_pending.ContainsKey(context)) return;
        _pending[context] = new ReadIndexRequest(commitIndex, from, context);
        _order.Add(context);
    }

    /// <summary>Records that <paramref name="id"/> acknowledged <paramref name="context"/>; returns the number of acks, 0 if unknown.</summary>
    public int RecvAck(ulong id, ByteString context)
    {
        if (!_pending.TryGetValue(context, out var rs)) return 0;
        rs.Acks.Add(id);
        return rs.Acks.Count;
    }

    /// <summary>Who acknowledged <paramref name="context"/> so far; empty if unknown.</summary>
    public IReadOnlySet<ulong> AcksOf(ByteString context) =>
        _pending.TryGetValue(context, out var rs) ? rs.Acks : new HashSet<ulong>();

    /// <summary>Dequeues and returns every request up to and including <paramref name="context"/>.</summary>
    public IReadOnlyList<ReadIndexRequest> Advance(ByteString context)
    {
        var at = _order.IndexOf(context);
        if (at < 0) return [];
        var released = new List<ReadIndexRequest>(at + 1);
        for (var i = 0; i <= at; i++)
        {
            released.Add(_pending[_order[i]]);
            _pending.Remove(_order[i]);
        }
        _order.RemoveRange(0, at + 1);
        return released;
    }

    /// <summary>Context of the newest pending request, sent with heartbeats so acks keep confirming it.</summary>
    public ByteString? LastPendingContext => _order.Count == 0 ? null : _order[^1];

    public void Clear()
    {
        _pending.Clear();
        _order.Clear();
    }
}
