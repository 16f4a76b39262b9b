using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// One pending ReadIndex request at the leader: the commit index when it arrived, who asked (this
/// member or a follower) and which voters have acknowledged the heartbeat that carries its context.
/// </summary>
public sealed class ReadIndexRequest(ulong index, ulong from, ByteString context)
{
    public ulong Index { get; } = index;
    public ulong From { get; } = from;
    public ByteString Context { get; } = context;
    public HashSet<ulong> Acks { get; } = [];
}
