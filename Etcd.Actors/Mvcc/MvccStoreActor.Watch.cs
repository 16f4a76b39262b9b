using Akka.Actor;
using Etcd.Actors.Watch;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The store's side of watch: the store's <see cref="Core.KvStore.EventSink"/> collects each batch's changes as
/// they are made, and right after the batch's backend commit (and before its waiters are released) the hub gets
/// them in one message, with the revisions the batch spans; the hub reads history through this actor too, since
/// only it may touch the backend. Nothing here when no hub is given (specs that drive the store alone).
/// </summary>
public sealed partial class MvccStoreActor
{
    /// <summary>
    /// Batches handed to the hub and not yet handled: the hub's mailbox is bounded by it, and by their bytes
    /// (etcd.mvcc.max-unconsumed-watch-bytes, <see cref="MvccSettings.MaxUnconsumedWatchBytes"/>). Past either the store
    /// sends nothing (the events are dropped, not queued) and remembers that it dropped some; as soon as the hub has
    /// room again it gets a batch that does not follow its revision (the next one, or an event-less one at the
    /// current revision if nothing was written since), so the hub sends its synced watchers back to history, which
    /// has the dropped events: slower for watchers, never more memory, never a gap, and no later write needed.
    /// </summary>
    internal const int MaxUnconsumedWatchBatches = 256;

    private readonly IActorRef? _watchHub;
    private readonly long _maxUnconsumedWatchBytes;
    private readonly List<Event> _watchEvents = new();
    private bool _prevKvWanted;
    private int _watchUnconsumed;
    // The bytes of each batch handed to the hub and not yet handled, oldest first (the hub acks them in order), and their sum.
    private readonly Queue<long> _watchUnconsumedSizes = new();
    private long _watchUnconsumedBytes;
    // Some batch's events were dropped at the bound and the hub has not yet been told (see CatchUpDroppedWatchEvents).
    private bool _watchDropped;

    private void ReceiveWatch()
    {
        Receive<WatchProtocol.PrevKvWanted>(m =>
        {
            _prevKvWanted = m.Wanted;
            _store.EventPrevKv = m.Wanted;
        });
        Receive<WatchProtocol.ReadHistory>(m =>
        {
            var r = m.Request;
            var events = new List<Event>();
            var upTo = _store.History(r.From, r.To, r.MaxEvents, r.PrevKv, events);
            Sender.Tell(new WatchProtocol.History(r.Round, events, upTo, _store.CompactedRevision));
        });
        Receive<WatchProtocol.HubStarted>(_ =>
        {
            // Counted afresh: a restarted hub starts from the opening revision below. An Akka restart keeps the mailbox,
            // so acks of batches sent to the old incarnation may still come and count for newer ones: the count errs
            // low by at most the batches in flight at the restart, and never goes below 0.
            _watchUnconsumed = 0;
            _watchUnconsumedSizes.Clear();
            _watchUnconsumedBytes = 0;
            _watchDropped = false; // the opening revision below sends its watchers back to history anyway
            Sender.Tell(new WatchProtocol.StoreOpened(_store.CurrentRevision));
        });
        Receive<WatchProtocol.Consumed>(_ =>
        {
            if (_watchUnconsumed > 0) _watchUnconsumed--;
            if (_watchUnconsumedSizes.TryDequeue(out var bytes)) _watchUnconsumedBytes -= bytes;
            CatchUpDroppedWatchEvents();
        });
    }

    /// <summary>After every <see cref="OpenStore"/>: a new KvStore needs the sink again, and the hub its revision.</summary>
    private void AttachWatch()
    {
        if (_watchHub is null) return;
        _watchEvents.Clear();
        _watchDropped = false; // StoreOpened below: a jump sends the hub's watchers back to history anyway
        _store.EventSink = _watchEvents;
        _store.EventPrevKv = _prevKvWanted;
        _watchHub.Tell(new WatchProtocol.StoreOpened(_store.CurrentRevision), Self);
    }

    /// <summary>Right after a batch's commit: its events, every revision after <paramref name="fromRevision"/>.</summary>
    private void PublishWatchEvents(long fromRevision)
    {
        if (_watchHub is null || _watchEvents.Count == 0) return;
        long bytes = 0;
        foreach (var ev in _watchEvents)
            bytes += 16 + ev.Kv.Key.Length + ev.Kv.Value.Length + (ev.PrevKv is { } p ? 16 + p.Key.Length + p.Value.Length : 0);
        // A batch larger than the byte budget still goes when the hub has nothing waiting, or it never would.
        if (_watchUnconsumed < MaxUnconsumedWatchBatches && (_watchUnconsumed == 0 || _watchUnconsumedBytes + bytes <= _maxUnconsumedWatchBytes))
        {
            _watchHub.Tell(new WatchProtocol.Committed(_watchEvents.ToArray(), fromRevision, _store.CurrentRevision, _store.EventPrevKv), Self);
            _watchUnconsumed++;
            _watchUnconsumedSizes.Enqueue(bytes);
            _watchUnconsumedBytes += bytes;
            // If events were dropped before, this batch does not follow the hub's revision: that tells it.
            _watchDropped = false;
        }
        else _watchDropped = true;
        _watchEvents.Clear();
    }

    /// <summary>
    /// The hub has room again after the store dropped events: tell it now, with an event-less batch at the current
    /// revision. It does not follow the hub's revision (the dropped batches lie between), so the hub sends its synced
    /// watchers back to history for them (WatchableCore.Notify). Without it a burst that overflowed the bound and
    /// then silence left synced watchers without the dropped events (and their progress stalled) until the next write.
    /// </summary>
    private void CatchUpDroppedWatchEvents()
    {
        if (!_watchDropped || _watchHub is null || _watchUnconsumed >= MaxUnconsumedWatchBatches) return;
        var rev = _store.CurrentRevision;
        _watchHub.Tell(new WatchProtocol.Committed([], rev, rev, _store.EventPrevKv), Self);
        _watchUnconsumed++;
        _watchUnconsumedSizes.Enqueue(0);
        _watchDropped = false;
    }
}
