using Akka.Actor;
using Etcd.Actors.Watch.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch;

/// <summary>Messages between MvccStoreActor, WatchHubActor, the WatchStreamActors and the facade. All local: none crosses Akka.Remote.</summary>
public static class WatchProtocol
{
    // ---- store → hub ----

    /// <summary>
    /// The events of one applied batch, told right after its backend commit: every revision in
    /// (<paramref name="FromRevision"/>, <paramref name="ToRevision"/>], in order, each txn's events together.
    /// <paramref name="HasPrevKv"/>: the store attached previous key-values (a watcher asked, <see cref="PrevKvWanted"/>).
    /// A batch whose <paramref name="FromRevision"/> is past the hub's revision says the store dropped the batches in
    /// between (its bound, MvccStoreActor.Watch.cs): the hub's synced watchers read them from history. The store
    /// sends an event-less one (From = To = its revision) to say so when nothing else is written.
    /// </summary>
    public sealed record Committed(Event[] Events, long FromRevision, long ToRevision, bool HasPrevKv);

    /// <summary>The store opened its backend at <paramref name="Revision"/> (start, restart, snapshot install).</summary>
    public sealed record StoreOpened(long Revision);

    /// <summary>The events of a history read (<see cref="ReadHistory"/>) and the store's compacted revision (-1 when never).</summary>
    public sealed record History(long Round, List<Event> Events, long ReadUpTo, long CompactedRevision);

    // ---- hub → store ----

    /// <summary>The hub has handled one <see cref="Committed"/> (the store bounds how many are unhandled).</summary>
    public sealed record Consumed
    {
        public static readonly Consumed Instance = new();
    }

    /// <summary>Attach previous key-values to events from the next batch on (some watcher wants prev_kv), or stop.</summary>
    public sealed record PrevKvWanted(bool Wanted);

    /// <summary>Read the events of <paramref name="Request"/>'s revisions; answered with <see cref="History"/>.</summary>
    public sealed record ReadHistory(HistoryRequest Request);

    /// <summary>A restarted hub asks the store for its revision (answered with <see cref="StoreOpened"/>).</summary>
    public sealed record HubStarted;

    // ---- facade → hub / stream ----

    /// <summary>A new gRPC stream: the hub creates its WatchStreamActor and completes <paramref name="Opened"/> with it.</summary>
    public sealed record OpenStream(WatchOutbox Outbox, TaskCompletionSource<IActorRef> Opened);

    /// <summary>One WatchRequest from the client, to the stream's actor (the facade holds a permit for it, see WatchOutbox).</summary>
    public sealed record StreamRequest(WatchRequest Request);

    /// <summary>A create request the edge refused (auth: no read permission on its range), answered in order with the stream's others.</summary>
    public sealed record DeniedCreate(string Reason);

    // ---- stream → hub ----

    /// <summary>Register <paramref name="Watcher"/> and send its created response first.</summary>
    public sealed record AddWatcher(Watcher Watcher);

    /// <summary>A create the stream refused: the hub answers it (created and canceled, with etcd's reason).</summary>
    public sealed record RefuseCreate(WatchOutbox Outbox, string Reason);

    /// <summary>The client canceled <paramref name="Watcher"/>: remove it and answer canceled.</summary>
    public sealed record CancelWatcher(Watcher Watcher);

    /// <summary>The stream ended: remove its watchers without a word.</summary>
    public sealed record CloseStream(IReadOnlyList<Watcher> Watchers);

    /// <summary>The client's RequestProgress.</summary>
    public sealed record RequestProgress(WatchOutbox Outbox);

    // ---- outbox → stream ----

    /// <summary>The hub removed <paramref name="Watcher"/> (compacted): its id is free again.</summary>
    public sealed record WatcherEnded(Watcher Watcher);
}
