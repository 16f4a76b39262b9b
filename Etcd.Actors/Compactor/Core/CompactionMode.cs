namespace Etcd.Actors.Compactor.Core;

/// <summary>--auto-compaction-mode: what --auto-compaction-retention counts (etcd's v3compactor modes).</summary>
public enum CompactionMode
{
    /// <summary>Keep the history of the last retention period (a duration).</summary>
    Periodic,

    /// <summary>Keep the last retention revisions.</summary>
    Revision,
}
