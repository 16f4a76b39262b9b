using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// One pending ReadIndex request at the leader: the commit index when it arrived, who asked (this
/// member or a follower) and with which context, the heartbeat round the leader confirms it with, and
/// which voters have acknowledged that round.
/// </summary>
public sealed class ReadIndexRequest(ulong index, ulong from, ByteString context, ulong round = 0)
{
    public ulong Index { get; } = index;
    public ulong From { get; } = from;
    public ByteString Context { get; } = context;

    /// <summary>The leader's number for it, carried by heartbeats (0 while not queued).</summary>
    public ulong Round { get; } = round;

    public HashSet<ulong> Acks { get; } = [];
}
