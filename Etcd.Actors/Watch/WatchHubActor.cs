using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Watch.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Watch;

/// <summary>
/// /user/etcd/watch: every watcher of this member (etcd's watchableStore), a thin shell over
/// <see cref="WatchableCore"/>. MvccStoreActor tells it each applied batch's events right after the backend
/// commit (<see cref="WatchProtocol.Committed"/>); it hands them to synced watchers at once, and catches unsynced
/// ones up from history by asking the store for bounded reads, one at a time, so a catch-up never holds the store
/// for long and the hub never waits for anyone. It is the only writer of watcher responses into a stream's
/// <see cref="WatchOutbox"/>, so a watcher's created answer, events, progress and cancel stay in order.
/// Its children are the streams (<see cref="WatchStreamActor"/>, one per gRPC Watch call).
/// </summary>
public sealed class WatchHubActor : ReceiveActor, IWithTimers
{
    /// <summary>Unsynced watchers caught up by one history read (etcd's maxWatchersPerSync).</summary>
    public const int MaxWatchersPerRound = 512;

    /// <summary>Events one history read returns at most (a revision is never split), so a read holds the store briefly.</summary>
    public const int MaxEventsPerRead = 1000;

    /// <summary>How soon victims are tried again while their streams are full (etcd's syncVictimsLoop: 10 ms).</summary>
    private static readonly TimeSpan VictimRetry = TimeSpan.FromMilliseconds(10);

    /// <summary>A history read not answered by then is given up (the store restarted and lost it); its watchers wait for the next.</summary>
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(5);

    private const string SyncTimer = "sync";
    private const string RoundTimer = "round";
    private const string ProgressTimer = "progress";

    private readonly WatchableCore _core = new(MaxWatchersPerRound, MaxEventsPerRead);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _progressInterval;
    private IActorRef? _store;
    private bool? _prevKvTold;
    private long _streams;

    public ITimerScheduler Timers { get; set; } = null!;

    public WatchHubActor(TimeSpan progressInterval)
    {
        _progressInterval = progressInterval;
        Receive<WatchProtocol.StoreOpened>(m =>
        {
            _store = Sender;
            _core.StoreOpened(m.Revision);
            _prevKvTold = null; // a new store instance starts without
            TellPrevKv();
            Sync();
        });
        Receive<WatchProtocol.Committed>(m =>
        {
            _core.Notify(m.Events, m.FromRevision, m.ToRevision, m.HasPrevKv);
            Sender.Tell(WatchProtocol.Consumed.Instance);
            Sync();
        });
        Receive<WatchProtocol.History>(m =>
        {
            _core.OnHistory(m.Round, m.Events, m.ReadUpTo, m.CompactedRevision);
            Sync();
        });
        Receive<WatchProtocol.OpenStream>(m =>
        {
            var stream = Context.ActorOf(WatchStreamActor.Props(Self, m.Outbox), "stream-" + (++_streams).ToString(System.Globalization.CultureInfo.InvariantCulture));
            m.Outbox.Stream = stream;
            m.Opened.TrySetResult(stream);
        });
        Receive<WatchProtocol.AddWatcher>(m => Add(m.Watcher));
        Receive<WatchProtocol.RefuseCreate>(m => m.Outbox.SendAnswer(new WatchResponse
        {
            Header = m.Outbox.Header(_core.CurrentRevision), WatchId = -1, Created = true, Canceled = true, CancelReason = m.Reason,
        }));
        Receive<WatchProtocol.CancelWatcher>(m =>
        {
            _core.Cancel(m.Watcher);
            var outbox = (WatchOutbox)m.Watcher.Outlet;
            outbox.SendAnswer(new WatchResponse { Header = outbox.Header(_core.CurrentRevision), WatchId = m.Watcher.WatchId, Canceled = true });
            TellPrevKv();
        });
        Receive<WatchProtocol.CloseStream>(m =>
        {
            foreach (var w in m.Watchers) _core.Cancel(w);
            TellPrevKv();
        });
        Receive<WatchProtocol.RequestProgress>(m =>
        {
            m.Outbox.HoldProgressPermit();
            _core.RequestProgress(m.Outbox);
        });
        Receive<SyncTick>(_ => Sync());
        Receive<RoundExpired>(m =>
        {
            if (_core.InFlight?.Round != m.Round) return;
            _log.Warning("watch history read {0} ({1}..{2}) was not answered in {3} s; trying again", m.Round, _core.InFlight.From, _core.InFlight.To, RoundTimeout.TotalSeconds);
            _core.AbandonRound();
            Sync();
        });
        Receive<ProgressTick>(_ => _core.ProgressTick());
    }

    public static Props Props(TimeSpan progressInterval) => Akka.Actor.Props.Create(() => new WatchHubActor(progressInterval));

    protected override void PreStart()
    {
        if (_progressInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer(ProgressTimer, ProgressTick.Instance, _progressInterval);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        // Every stream (a child) was stopped with the old instance and its clients see their call end; the new
        // instance needs the store's revision before it takes watchers.
        Context.ActorSelection("../mvcc").Tell(new WatchProtocol.HubStarted());
    }

    private void Add(Watcher w)
    {
        var outbox = (WatchOutbox)w.Outlet;
        // The created answer's revision is where the watcher stands: a client that resumes after it misses nothing.
        var start = w.StartRevision;
        var at = start > 0 && start <= _core.CurrentRevision ? start - 1 : _core.CurrentRevision;
        outbox.SendAnswer(new WatchResponse { Header = outbox.Header(at), WatchId = w.WatchId, Created = true });
        _core.Add(w);
        TellPrevKv();
        Sync();
    }

    private void TellPrevKv()
    {
        var want = _core.PrevKvWatchers > 0;
        if (_store is null || _prevKvTold == want) return;
        _prevKvTold = want;
        _store.Tell(new WatchProtocol.PrevKvWanted(want));
    }

    /// <summary>Starts the next history round if one can start; while only full streams are behind, looks again soon.</summary>
    private void Sync()
    {
        if (_store is null || !_core.HasWork) return;
        if (_core.NextRound() is { } round)
        {
            _store.Tell(new WatchProtocol.ReadHistory(round));
            Timers.StartSingleTimer(RoundTimer, new RoundExpired(round.Round), RoundTimeout);
        }
        else if (_core.HasWork && !Timers.IsTimerActive(SyncTimer))
        {
            Timers.StartSingleTimer(SyncTimer, SyncTick.Instance, VictimRetry);
        }
    }

    private sealed class SyncTick
    {
        public static readonly SyncTick Instance = new();
    }

    private sealed class ProgressTick
    {
        public static readonly ProgressTick Instance = new();
    }

    private sealed record RoundExpired(long Round);
}
