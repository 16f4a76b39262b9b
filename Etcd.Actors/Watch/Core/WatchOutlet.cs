using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// One stream's way out (etcd's watchStream channel), as the core sees it: sends never block; a send refused
/// because the stream's bounded buffer is full makes the watcher a victim, which catches up from history later.
/// The shell implements it over the gRPC stream's queue. The counts are the core's bookkeeping for
/// RequestProgress (answered once every watcher of the stream is synced).
/// </summary>
public abstract class WatchOutlet
{
    /// <summary>Whether a send would be taken now (the victims' retry asks this first).</summary>
    public abstract bool HasRoom { get; }

    /// <summary>Events (already filtered for <paramref name="w"/>) up to <paramref name="revision"/>; false when full.</summary>
    public abstract bool TrySendEvents(Watcher w, List<Event> events, long revision);

    /// <summary>The watcher is canceled because its next revision was compacted (etcd's compact_revision).</summary>
    public abstract bool TrySendCompacted(Watcher w, long compactRevision, long revision);

    /// <summary>An empty response at <paramref name="revision"/>: for <paramref name="w"/>, or the stream's (watch id -1) when null.</summary>
    public abstract bool TrySendProgress(Watcher? w, long revision);

    /// <summary>Watchers of this stream in the core.</summary>
    internal int Watchers { get; set; }

    /// <summary>Of those, the ones not synced.</summary>
    internal int Behind { get; set; }

    /// <summary>A RequestProgress waits for every watcher of the stream to be synced.</summary>
    internal bool ProgressRequested { get; set; }
}
