namespace Etcd.Actors.Watch.Core;

/// <summary>Where a watcher is in <see cref="WatchableCore"/>: exactly one place at a time.</summary>
public enum WatcherState
{
    /// <summary>Not added yet.</summary>
    New,
    /// <summary>Has every matching event up to the core's revision; gets new batches as they come.</summary>
    Synced,
    /// <summary>Behind: catches up from history (a start revision in the past, or a victim).</summary>
    Unsynced,
    /// <summary>Unsynced and part of the history read in flight.</summary>
    Reading,
    /// <summary>Gone: canceled by its client or stream, or by compaction.</summary>
    Removed,
}
