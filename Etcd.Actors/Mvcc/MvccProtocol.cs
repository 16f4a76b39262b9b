using Akka.Actor;
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
    /// Told by every RaftActor incarnation as it starts, before any <see cref="ApplyCommitted"/>: the store applies
    /// batches only from the incarnation (the sender) that announced itself last to it, so one from an older
    /// incarnation is never applied after a newer one began, whatever its indexes. A restarted store applies
    /// nothing until the incarnation the guardian recreates announces itself.
    /// </summary>
    public sealed record RaftStarted;

    /// <summary>
    /// One read: a <see cref="RangeRequest"/> or a read-only <see cref="TxnRequest"/>. Completed with the
    /// response message, or failed with an <see cref="Errors.EtcdException"/>.
    /// </summary>
    /// <param name="Asker">A client's user and the auth revision its token was resolved at (empty without a token),
    /// checked while auth is enabled; null for a member's own reads.</param>
    /// <param name="EncodeKvs">A Range answered to gRPC's KV.Range: when read in steps, its key-values come back as bytes
    /// beside the response (EncodedRanges), for the Range marshaller to write, instead of in its Kvs.</param>
    public sealed record ReadCommand(IMessage Request, TaskCompletionSource<IMessage> Completion, RequestHeader? Asker = null, bool EncodeKvs = false);

    /// <summary>Read the next step of the oldest open range (MvccStoreActor.RangeSteps.cs; the store sends it to itself).</summary>
    public sealed record StepRanges
    {
        public static readonly StepRanges Instance = new();

        private StepRanges()
        {
        }
    }

    /// <summary>Serve <paramref name="Reads"/> once the applied index reaches <paramref name="Index"/>.</summary>
    public sealed record ReadAt(ulong Index, ulong Term, IReadOnlyList<ReadCommand> Reads);

    /// <summary>Serializable read: answer at once from the applied state.</summary>
    public sealed record SerializableRead(ReadCommand Read);

    /// <summary>Complete a Status whose Raft fields RaftActor has filled in (adds header, version, db size, applied index).</summary>
    public sealed record FillStatus(StatusReport Partial, TaskCompletionSource<StatusReport> Completion);

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

    // ---- membership ----

    /// <summary>
    /// The member table after a batch changed it (told to the sender of <see cref="ApplyCommitted"/>), or the
    /// answer to <see cref="GetMembers"/>. <paramref name="Members"/> are ordered by id, <paramref name="Removed"/>
    /// are the ids that can never join again, ascending.
    /// </summary>
    public sealed record MembersChanged(IReadOnlyList<Member> Members, IReadOnlyList<ulong> Removed);

    /// <summary>Asks for the member table; answered to <paramref name="ReplyTo"/> with <see cref="MembersChanged"/>.</summary>
    public sealed record GetMembers(IActorRef ReplyTo);

    /// <summary>
    /// MemberList, served from the applied table: header with this member's cluster and member id, the Raft term
    /// and the current revision, as etcd's cluster server stamps it.
    /// </summary>
    public sealed record ListMembers(TaskCompletionSource<MemberListing> Completion);

    // ---- snapshots ----

    /// <summary>
    /// Write a consistent copy of the backend at the current consistent index to <paramref name="Path"/> (replaced
    /// if it exists). Answered to the sender with <see cref="SnapshotCreated"/> or <see cref="SnapshotFailed"/>.
    /// </summary>
    public sealed record CreateSnapshot(string Path);

    /// <summary>The copy asked for by <see cref="CreateSnapshot"/> is durable at <paramref name="Path"/>.</summary>
    public sealed record SnapshotCreated(string Path, ulong ConsistentIndex, long SizeBytes);

    /// <summary>
    /// Replace the backend with the snapshot file at <paramref name="Path"/> (a <see cref="CreateSnapshot"/> copy,
    /// e.g. received from the leader). Refused, with the backend untouched, when the file is not an intact backend.
    /// A file whose consistent index is at or below the applied index is removed and answered with
    /// SnapshotInstalled at the applied index (the backend already holds it all). The file is moved into place
    /// (it is gone afterwards).
    /// Answered with <see cref="SnapshotInstalled"/> or <see cref="SnapshotFailed"/>; reads waiting for an index are
    /// served once the installed index reaches it.
    /// </summary>
    public sealed record InstallSnapshot(string Path);

    /// <summary>The snapshot is the backend now; the applied index is <paramref name="ConsistentIndex"/>.</summary>
    public sealed record SnapshotInstalled(ulong ConsistentIndex);

    /// <summary><see cref="CreateSnapshot"/> or <see cref="InstallSnapshot"/> of <paramref name="Path"/> failed; nothing changed.</summary>
    public sealed record SnapshotFailed(string Path, string Reason);

    /// <summary>
    /// Make every commit so far survive power loss (a FULL WAL checkpoint, which syncs the database file).
    /// Answered with <see cref="Checkpointed"/> or <see cref="CheckpointFailed"/>. The Raft journal may delete
    /// entries up to the checkpointed index once it has the answer.
    /// </summary>
    public sealed record Checkpoint;

    /// <summary>Every entry up to <paramref name="ConsistentIndex"/> is durable in the backend.</summary>
    public sealed record Checkpointed(ulong ConsistentIndex);

    /// <summary>The checkpoint did not complete; nothing may be deleted on its account.</summary>
    public sealed record CheckpointFailed(string Reason);
}
