namespace Etcd.Actors.Raft.Core;

/// <summary>
/// A Raft safety invariant broke (commit going backwards, truncating committed entries, a gap in the log).
/// Continuing would risk diverging from the cluster, so the core throws and the host must stop.
/// </summary>
public sealed class RaftInvariantException(string message) : Exception(message);
