using Akka.Actor;
using Etcd.Api.Etcdserverpb;
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

    /// <summary>
    /// RaftActor → SnapshotReceiverActor: a chunk whose envelope RaftActor checked (our cluster, to us, from the
    /// chunk's sender); acks go to <paramref name="ReplyTo"/>, the sender member's gateway as RaftActor knows it.
    /// A C# record no peer serializer accepts, so the receiver's path, which Akka.Remote delivers to from any
    /// stranger, takes nothing from the network: only the transfer id's secrecy would otherwise guard an install.
    /// </summary>
    public sealed record Chunk(SnapshotChunk Value, IActorRef ReplyTo);

    /// <summary>
    /// RaftActor → LeaderDutiesActor → SnapshotSenderActor: an ack whose envelope RaftActor checked, from member
    /// <paramref name="From"/>. Like <see cref="Chunk"/>, local only: a forged failed ack sent straight to the
    /// sender's path cannot abort a transfer.
    /// </summary>
    public sealed record Ack(SnapshotChunkAck Value, ulong From);
}
