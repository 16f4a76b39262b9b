using System.Buffers.Binary;
using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// The leader's safe ReadIndex queue (etcd's readOnly, ReadOnlySafe). A request's commit index is
/// only served once a quorum acknowledged a heartbeat sent after it arrived, which proves no newer
/// leader could have committed anything this leader does not know. A quorum ack for one request also
/// confirms every request queued before it.
/// <para>
/// Requests are keyed by who asked and the context they chose, so two members (or two incarnations of one)
/// that happen to use the same context never alias each other's reads; a repeat of a pending (sender, context)
/// is a retry and joins it. Heartbeats do not carry the requester's context but a round number this queue
/// hands out (never reused by this node), so an acknowledgement confirms exactly the requests that were
/// queued when its heartbeat left, whoever asked. etcd-io/raft keys by the context alone and relies on the
/// hosts making contexts unique; here that is the hosts' job too (RaftActor's member id + nonce + counter),
/// but the leader no longer depends on it.
/// </para>
/// </summary>
public sealed class ReadOnlyQueue
{
    private readonly Dictionary<(ulong From, ByteString Context), ReadIndexRequest> _byRequest = new();
    private readonly Dictionary<ulong, ReadIndexRequest> _byRound = new();
    private readonly List<ReadIndexRequest> _order = [];
    private ulong _lastRound;

    /// <summary>
    /// Most requests of one sender pending at once. A host has one read round open at a time (RaftActor's
    /// ReadRounds: its retries reuse the context and join the pending request); a new context from the same
    /// sender means it gave up on the older round (its reads already failed), so beyond this the sender's oldest
    /// request is dropped unanswered. Room for a few lets a host that pipelines reads still be served.
    /// </summary>
    public const int MaxPerSender = 4;

    /// <summary>Most requests pending in all; beyond it the oldest is dropped unanswered (its host retries or times out).</summary>
    public const int MaxPending = 1024;

    public int Count => _order.Count;

    /// <summary>
    /// Queues a request; null when the same sender's request with this context is already pending. At
    /// <see cref="MaxPerSender"/> or <see cref="MaxPending"/> the oldest request (of that sender, or of all) is
    /// dropped to make room: its round number is forgotten, so an ack of it confirms nothing.
    /// </summary>
    public ReadIndexRequest? Add(ulong commitIndex, ulong from, ByteString context)
    {
        if (_byRequest.ContainsKey((from, context))) return null;
        var oldestOfSender = _order.FindIndex(r => r.From == from);
        if (oldestOfSender >= 0 && _order.Count(r => r.From == from) >= MaxPerSender) Drop(oldestOfSender);
        else if (_order.Count >= MaxPending) Drop(0);
        var req = new ReadIndexRequest(commitIndex, from, context, ++_lastRound);
        _byRequest[(from, context)] = req;
        _byRound[req.Round] = req;
        _order.Add(req);
        return req;
    }

    private void Drop(int at)
    {
        var req = _order[at];
        _order.RemoveAt(at);
        _byRequest.Remove((req.From, req.Context));
        _byRound.Remove(req.Round);
    }

    /// <summary>The heartbeat context that carries <paramref name="round"/>.</summary>
    public static ByteString RoundContext(ulong round)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, round);
        return ByteString.CopyFrom(b);
    }

    /// <summary>Records that <paramref name="id"/> acknowledged the heartbeat of round <paramref name="roundContext"/>; returns the number of acks, 0 if unknown.</summary>
    public int RecvAck(ulong id, ByteString roundContext)
    {
        if (Find(roundContext) is not { } rs) return 0;
        rs.Acks.Add(id);
        return rs.Acks.Count;
    }

    /// <summary>Who acknowledged the round so far; empty if unknown.</summary>
    public IReadOnlySet<ulong> AcksOf(ByteString roundContext) => Find(roundContext)?.Acks ?? new HashSet<ulong>();

    /// <summary>Dequeues and returns every request up to and including the one of <paramref name="roundContext"/>.</summary>
    public IReadOnlyList<ReadIndexRequest> Advance(ByteString roundContext)
    {
        if (Find(roundContext) is not { } rs) return [];
        var at = _order.IndexOf(rs);
        var released = _order.GetRange(0, at + 1);
        _order.RemoveRange(0, at + 1);
        foreach (var req in released)
        {
            _byRequest.Remove((req.From, req.Context));
            _byRound.Remove(req.Round);
        }
        return released;
    }

    /// <summary>Round context of the newest pending request, sent with heartbeats so acks keep confirming it.</summary>
    public ByteString? LastPendingContext => _order.Count == 0 ? null : RoundContext(_order[^1].Round);

    /// <summary>Forgets every pending request (a new term); round numbers keep counting, so a late ack of an old round matches nothing.</summary>
    public void Clear()
    {
        _byRequest.Clear();
        _byRound.Clear();
        _order.Clear();
    }

    private ReadIndexRequest? Find(ByteString roundContext) =>
        roundContext.Length == 8 && _byRound.TryGetValue(BinaryPrimitives.ReadUInt64BigEndian(roundContext.Span), out var rs) ? rs : null;
}
