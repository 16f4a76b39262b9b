namespace Etcd.Actors.Watch.Core;

/// <summary>
/// Progress notifications. A progress response carries no events and says "you have everything up to this
/// revision", so it is only ever sent for synced watchers, at <see cref="WatchableCore.CurrentRevision"/>:
/// <list type="bullet">
/// <item>progress_notify (etcd's per-watcher progress ticker): on each tick, every synced watcher that asked for it
/// and was sent nothing since the last tick; a full stream skips it (the watcher is busy with events anyway).</item>
/// <item>RequestProgress (the stream's, watch id -1): answered at once when every watcher of the stream is synced,
/// else as soon as they are. etcd 3.4 answers at once with the store's revision even while a watcher is still
/// catching up, so the revision could be ahead of events still to come (etcd-io/etcd#15220, fixed in 3.5.8 by
/// answering only when synced); we answer as the fix does.</item>
/// </list>
/// </summary>
public sealed partial class WatchableCore
{
    private readonly HashSet<Watcher> _progress = new();

    /// <summary>etcd's RequestProgress for one stream.</summary>
    public void RequestProgress(WatchOutlet outlet)
    {
        outlet.ProgressRequested = true;
        CheckStreamProgress(outlet);
    }

    /// <summary>One progress_notify tick.</summary>
    public void ProgressTick()
    {
        foreach (var w in _progress)
        {
            if (w.State == WatcherState.Synced && !w.SentSinceProgressTick) w.Outlet.TrySendProgress(w, CurrentRevision);
            w.SentSinceProgressTick = false;
        }
    }

    private void CheckStreamProgress(WatchOutlet outlet)
    {
        if (!outlet.ProgressRequested || outlet.Behind > 0) return;
        if (outlet.TrySendProgress(null, CurrentRevision)) outlet.ProgressRequested = false;
    }
}
