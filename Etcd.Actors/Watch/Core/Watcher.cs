using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// One watcher (etcd's mvcc watcher): what it watches and, owned by <see cref="WatchableCore"/>, where it stands.
/// Created by its stream, which knows it by <see cref="WatchId"/>; every mutable field is the core's alone.
/// </summary>
public sealed class Watcher(long watchId, KeyRange range, long startRevision, WatchFilters filters, bool prevKv,
    bool progressNotify, bool fragment, WatchOutlet outlet)
{
    /// <summary>The id its client knows it by (unique within its stream).</summary>
    public long WatchId { get; } = watchId;

    public KeyRange Range { get; } = range;

    /// <summary>The revision asked for; 0 = from the next change on.</summary>
    public long StartRevision { get; } = startRevision;

    public WatchFilters Filters { get; } = filters;

    /// <summary>Events carry the key-value before the change (etcd's prev_kv).</summary>
    public bool PrevKv { get; } = prevKv;

    public bool ProgressNotify { get; } = progressNotify;

    /// <summary>Responses larger than the request limit may be split (etcd's fragment).</summary>
    public bool Fragment { get; } = fragment;

    /// <summary>The stream it sends through.</summary>
    public WatchOutlet Outlet { get; } = outlet;

    /// <summary>
    /// The lowest revision still to be delivered (etcd's minRev): every matching event below it has been sent,
    /// or was filtered out. A response's revision is always MinRev - 1 after it is sent: a valid resume point.
    /// </summary>
    public long MinRev { get; internal set; }

    public WatcherState State { get; internal set; }

    /// <summary>Moved out of synced because its stream was full (etcd's victim): it catches up once there is room.</summary>
    public bool Victim { get; internal set; }

    /// <summary>Events were sent since the last progress tick (etcd elides that tick's notification).</summary>
    internal bool SentSinceProgressTick { get; set; }

    // The core that holds it: a watcher is known to one core only (a restarted hub has a new one).
    internal WatchableCore? Owner { get; set; }

    // Position in the container the watcher is in (WatcherGroup/WatcherList), for O(1) removal.
    internal int Slot { get; set; } = -1;

    // The events being gathered for it in one notification or history round; kept between rounds.
    internal List<Event>? Gathered { get; set; }

    public override string ToString() => $"watcher {WatchId} [{Range.Key.ToStringUtf8()}, {Range.End?.ToStringUtf8() ?? "-"}) {State} min {MinRev}";
}
