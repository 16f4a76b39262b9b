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
    /// Batches handed to the hub and not yet handled: the hub's mailbox is bounded by it. Past the bound the store
    /// sends nothing (the events are dropped, not queued); the next batch it sends then does not follow the hub's
    /// revision, so the hub sends its synced watchers back to history, which has them: slower for watchers, never
    /// more memory, never a gap.
    /// </summary>
    internal const int MaxUnconsumedWatchBatches = 256;

    private readonly IActorRef? _watchHub;
    private readonly List<Event> _watchEvents = new();
    private bool _prevKvWanted;
    private int _watchUnconsumed;

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
            _watchUnconsumed = 0; // the old hub's mailbox is gone
            Sender.Tell(new WatchProtocol.StoreOpened(_store.CurrentRevision));
        });
        Receive<WatchProtocol.Consumed>(_ => { if (_watchUnconsumed > 0) _watchUnconsumed--; });
    }

    /// <summary>After every <see cref="OpenStore"/>: a new KvStore needs the sink again, and the hub its revision.</summary>
    private void AttachWatch()
    {
        if (_watchHub is null) return;
        _watchEvents.Clear();
        _store.EventSink = _watchEvents;
        _store.EventPrevKv = _prevKvWanted;
        _watchHub.Tell(new WatchProtocol.StoreOpened(_store.CurrentRevision), Self);
    }

    /// <summary>Right after a batch's commit: its events, every revision after <paramref name="fromRevision"/>.</summary>
    private void PublishWatchEvents(long fromRevision)
    {
        if (_watchHub is null || _watchEvents.Count == 0) return;
        if (_watchUnconsumed < MaxUnconsumedWatchBatches)
        {
            _watchHub.Tell(new WatchProtocol.Committed(_watchEvents.ToArray(), fromRevision, _store.CurrentRevision, _store.EventPrevKv), Self);
            _watchUnconsumed++;
        }
        _watchEvents.Clear();
    }
}
