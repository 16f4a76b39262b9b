using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc;

/// <summary>Messages MvccStoreActor accepts.</summary>
public static class MvccProtocol
{
    /// <summary>
    /// Committed entries, in index order, already durable in the journal. Applied in one backend
    /// transaction; the consistent index is stored in the same transaction. <paramref name="Term"/> is
    /// the Raft term to put in response headers.
    /// </summary>
    public sealed record ApplyCommitted(IReadOnlyList<Entry> Entries, ulong Term);

    /// <summary>
    /// One read: a <see cref="RangeRequest"/> or a read-only <see cref="TxnRequest"/>. Completed with the
    /// response message, or failed with an <see cref="Errors.EtcdException"/>.
    /// </summary>
    public sealed record ReadCommand(IMessage Request, TaskCompletionSource<IMessage> Completion);

    /// <summary>Serve <paramref name="Reads"/> once the applied index reaches <paramref name="Index"/>.</summary>
    public sealed record ReadAt(ulong Index, ulong Term, IReadOnlyList<ReadCommand> Reads);

    /// <summary>Serializable read: answer at once from the applied state.</summary>
    public sealed record SerializableRead(ReadCommand Read);

    /// <summary>Complete a Status whose Raft fields RaftActor has filled in (adds revision, db size, applied index).</summary>
    public sealed record FillStatus(StatusResponse Partial, TaskCompletionSource<StatusResponse> Completion);

    /// <summary>
    /// Sent by MvccStoreActor to RaftActor after a batch is applied, so Raft knows the applied index
    /// (flow control for "too many requests" and snapshot triggers).
    /// </summary>
    public sealed record Applied(ulong Index);

    /// <summary>
    /// Sent by a restarted MvccStoreActor to its parent. The batch it failed on is gone (Akka drops the
    /// failing message) and RaftActor never re-sends what it handed over, so the guardian restarts RaftActor:
    /// the new incarnation re-delivers every committed entry and the store skips what it already has.
    /// </summary>
    public sealed record Restarted(ulong AppliedIndex);

    // ---- membership and snapshots (handled once the member table lands in MvccStoreActor) ----

    /// <summary>The member table after a batch that changed it, or in answer to <see cref="GetMembers"/>.</summary>
    public sealed record MembersChanged(IReadOnlyList<Member> Members, IReadOnlyList<ulong> Removed);

    /// <summary>Ask for the member table; answered with <see cref="MembersChanged"/> to <paramref name="ReplyTo"/>.</summary>
    public sealed record GetMembers(Akka.Actor.IActorRef ReplyTo);

    /// <summary>Write a consistent copy of the backend to <paramref name="Path"/>.</summary>
    public sealed record CreateSnapshot(string Path);

    public sealed record SnapshotCreated(string Path, ulong ConsistentIndex, long SizeBytes);

    public sealed record SnapshotFailed(string Path, string Reason);

    /// <summary>Replace the backend by the snapshot file at <paramref name="Path"/> (received from the leader).</summary>
    public sealed record InstallSnapshot(string Path);

    public sealed record SnapshotInstalled(ulong ConsistentIndex);

    /// <summary>Make every commit so far durable (the journal deletes entries up to the answer's index).</summary>
    public sealed record Checkpoint;

    public sealed record Checkpointed(ulong ConsistentIndex);
}
