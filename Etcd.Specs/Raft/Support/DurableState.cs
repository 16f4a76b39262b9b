using Etcd.Api.Raftpb;

namespace Etcd.Specs.Raft;

/// <summary>
/// What one simulated member has on disk: the hard state, the log after the snapshot point, the snapshot's
/// metadata and the state machine the snapshot holds (modelled as the list of entries applied up to its
/// index). A crash loses everything else; a restart starts from exactly this.
/// </summary>
internal sealed class DurableState
{
    public HardState Hard { get; set; } = new();

    /// <summary>Entries after <see cref="Snapshot"/>'s index, contiguous.</summary>
    public List<Entry> Log { get; } = [];

    public SnapshotMetadata? Snapshot { get; set; }

    /// <summary>The state machine at the snapshot's index: every entry applied up to it, in order.</summary>
    public List<Entry> SnapshotData { get; set; } = [];

    public ulong SnapshotIndex => Snapshot?.Index ?? 0;
    public ulong SnapshotTerm => Snapshot?.Term ?? 0;
    public ulong LastIndex => Log.Count > 0 ? Log[^1].Index : SnapshotIndex;

    /// <summary>The term at <paramref name="index"/>, or null when it is before the snapshot point or after the log.</summary>
    public ulong? Term(ulong index)
    {
        if (index == SnapshotIndex) return SnapshotTerm;
        if (index < SnapshotIndex || index > LastIndex) return null;
        return Log[(int)(index - SnapshotIndex - 1)].Term;
    }

    /// <summary>The entry at <paramref name="index"/>, or null when only its term (the snapshot point) or nothing is known.</summary>
    public Entry? At(ulong index) =>
        index <= SnapshotIndex || index > LastIndex ? null : Log[(int)(index - SnapshotIndex - 1)];
}
