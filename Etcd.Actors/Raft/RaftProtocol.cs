using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>Messages RaftActor accepts from the rest of the node.</summary>
public static class RaftProtocol
{
    /// <summary>
    /// Propose one serialized <see cref="InternalRaftRequest"/>. The caller has registered a waiter under
    /// <paramref name="Id"/> in the node's <c>WaitRegistry</c>; MvccStoreActor completes it once the entry
    /// is applied. If the proposal cannot be accepted, RaftActor fails the waiter itself.
    /// </summary>
    public sealed record Propose(ulong Id, ByteString Data);

    /// <summary>
    /// A linearizable read. RaftActor obtains a read index (batched: every read that arrives while a
    /// ReadIndex round is open shares it) and hands the reads to MvccStoreActor as <see cref="MvccProtocol.ReadAt"/>.
    /// </summary>
    public sealed record LinearizableRead(MvccProtocol.ReadCommand Read);

    /// <summary>Fill Raft's part of a Status (leader, term, index) and pass it on to MvccStoreActor.</summary>
    public sealed record GetStatus(TaskCompletionSource<StatusResponse> Completion);

    /// <summary>
    /// Published on the ActorSystem's EventStream by RaftActor whenever the core's SoftState changes
    /// (leader or role). <paramref name="Leader"/> is 0 while there is no leader.
    /// </summary>
    public sealed record LeaderChanged(ulong MemberId, ulong Leader, ulong Term);
}
