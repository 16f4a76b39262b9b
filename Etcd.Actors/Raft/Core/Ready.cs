using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Everything the host must do for the core, in this order: persist <see cref="HardState"/> and
/// <see cref="Entries"/> (fsync when <see cref="MustSync"/>), send <see cref="Messages"/>, apply
/// <see cref="CommittedEntries"/>, serve <see cref="ReadStates"/>, then call <c>Advance</c>.
/// </summary>
public sealed class Ready
{
    /// <summary>Set only when lead or role changed since the last Ready.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>Set only when term, vote or commit changed since the last Ready.</summary>
    public HardState? HardState { get; init; }

    /// <summary>
    /// A snapshot received from the leader, whose data the host already holds: install it into the state
    /// machine and persist it (with <see cref="HardState"/>) before applying <see cref="CommittedEntries"/>,
    /// which all come after it. Every entry of the old log is gone.
    /// </summary>
    public Etcd.Api.Raftpb.SnapshotMetadata? Snapshot { get; init; }

    /// <summary>The membership after the conf changes among <see cref="CommittedEntries"/> (or a snapshot); null if unchanged.</summary>
    public ClusterConfig? Config { get; init; }

    /// <summary>Entries to append to stable storage. The first may overwrite (truncate) a persisted suffix.</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>Entries to apply to the state machine, in index order. Persist <see cref="Entries"/> first.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; init; } = [];

    /// <summary>
    /// Every message for peers, in the order the core produced them: <see cref="MessagesBeforePersist"/> and
    /// <see cref="MessagesAfterPersist"/> together. A host sends each of them once, from those two lists.
    /// </summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];

    /// <summary>
    /// The messages that may go out before <see cref="Entries"/> and <see cref="HardState"/> are durable, decided per
    /// message: a leader's replication messages (MsgApp, MsgHeartbeat, MsgSnap, MsgTimeoutNow, MsgReadIndexResp) of a
    /// term already durable. Nothing in them vouches for this member's disk: the leader's own acknowledgement of
    /// <see cref="Entries"/> is taken in Advance, so sending early never lets them commit sooner. Empty when the term
    /// or vote changes in this Ready.
    /// </summary>
    public IReadOnlyList<Message> MessagesBeforePersist { get; init; } = [];

    /// <summary>The rest of <see cref="Messages"/>: send only once the write is durable (answers that are promises, a new term).</summary>
    public IReadOnlyList<Message> MessagesAfterPersist { get; init; } = [];

    /// <summary>Answers to ReadIndex requests made on this member.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>
    /// True when the write must be durable (fsync'd) before the messages after it go out: new entries, a snapshot,
    /// or a term or vote change (etcd-io/raft's <c>MustSync(hs, prevHs, numEntries)</c>). A Ready whose only news
    /// is the commit index need not be written at all: a member that forgets it re-learns it from the leader.
    /// </summary>
    public bool MustSync { get; init; }

    /// <summary>etcd-io/raft's <c>MustSync</c>: term or vote changed since <paramref name="previous"/>, or entries were appended.</summary>
    public static bool MustSyncFor(HardState current, HardState previous, int entries) =>
        entries > 0 || current.Term != previous.Term || current.Vote != previous.Vote;

    public bool ContainsUpdates =>
        SoftState is not null || HardState is not null || Snapshot is not null || Entries.Count > 0 || CommittedEntries.Count > 0 ||
        Messages.Count > 0 || ReadStates.Count > 0;
}
