using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// What the host recovered from durable storage: the last hard state, the entries after the snapshot
/// (contiguous, in index order) and the snapshot's metadata, if any.
/// </summary>
public sealed record RaftRecoveredState(HardState HardState, IReadOnlyList<Entry> Entries, SnapshotMetadata? Snapshot = null)
{
    public static RaftRecoveredState Empty { get; } = new(new HardState(), []);
}
