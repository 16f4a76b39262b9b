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
    /// Messages for peers; send only after <see cref="Entries"/> and <see cref="HardState"/> are durable, unless
    /// <see cref="MaySendBeforePersist"/>.
    /// </summary>
    public IReadOnlyList<Message> Messages { get; init; } = [];

    /// <summary>
    /// True when <see cref="Messages"/> may go out before the write is durable (a leader's replication messages of
    /// a term already durable: nothing in them vouches for this member's disk). The leader's own acknowledgement
    /// of <see cref="Entries"/> is taken in Advance, so sending early never lets them commit sooner.
    /// </summary>
    public bool MaySendBeforePersist { get; init; }

    /// <summary>Answers to ReadIndex requests made on this member.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>True when the write must be fsync'd (new entries, or a term or vote change).</summary>
    public bool MustSync { get; init; }

    public bool ContainsUpdates =>
        SoftState is not null || HardState is not null || Snapshot is not null || Entries.Count > 0 || CommittedEntries.Count > 0 ||
        Messages.Count > 0 || ReadStates.Count > 0;
}
