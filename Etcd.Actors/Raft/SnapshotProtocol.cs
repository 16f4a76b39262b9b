using Akka.Actor;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>Messages between RaftActor, LeaderDutiesActor and the snapshot sender and receiver actors.</summary>
public static class SnapshotProtocol
{
    /// <summary>RaftActor → LeaderDutiesActor: the core wants <paramref name="Snap"/> (metadata only) delivered to <paramref name="Peer"/> with its data.</summary>
    public sealed record Send(Message Snap, IActorRef Peer);

    /// <summary>Sender → RaftActor: the transfer to <paramref name="To"/> finished (the follower has the whole file) or failed.</summary>
    public sealed record Report(ulong To, bool Ok);

    /// <summary>Receiver → RaftActor: the complete, verified snapshot file at <paramref name="Path"/>; step <paramref name="Snap"/> now.</summary>
    public sealed record Received(ulong TransferId, string Path, Message Snap);

    /// <summary>Receiver → RaftActor: the transfer was abandoned (gap, checksum, timeout); the leader retries.</summary>
    public sealed record ReceiveFailed(ulong TransferId, string Reason);
}
