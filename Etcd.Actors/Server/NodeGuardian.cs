using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Lease;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Actors.Watch;

namespace Etcd.Actors.Server;

/// <summary>
/// /user/etcd: parent of one member's actors. MvccStoreActor is restarted in place on failure (it reopens
/// the backend) and RaftActor is restarted so that it hands out the committed entries again. RaftActor stops
/// itself on a journal failure (Akka.Persistence does that); the guardian then recreates it after a backoff,
/// and it recovers from what is durable. Nothing continues in place after a failed write.
/// Both retries are bounded, and at the bound the whole member stops (etcd panics): a store that fails
/// <see cref="MaxStoreFailuresWithoutProgress"/> times without applying anything in between, or a RaftActor
/// that fails to recover <see cref="MaxFailedRecoveries"/> times in a row. The guardian logs why, publishes
/// <see cref="NodeFailed"/> and the host exits non-zero; a supervisor restarts the process and it recovers
/// from disk.
/// </summary>
public sealed class NodeGuardian : ReceiveActor, IWithTimers
{
    /// <summary>Store failures with no applied progress between them before the member gives up.</summary>
    internal const int MaxStoreFailuresWithoutProgress = 10;

    /// <summary>Failed journal recoveries in a row before the member gives up (retried after 0.1, 0.2, 0.4, 0.8, 1.6 s).</summary>
    internal const int MaxFailedRecoveries = 6;

    private const string RecreateTimer = "recreate-raft";
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly RaftSettings _raftSettings;
    private readonly RaftMember _member;
    private readonly WaitRegistry _waits;
    private readonly NodeRefs _refs;
    private readonly IActorRef _mvcc;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _restarts;

    // Store failures since the store last made progress, and the applied index it restarted at last time.
    private int _storeFailures;
    private ulong _storeAppliedAtRestart;
    private string _lastStoreFailure = "";
    private int _failedRecoveries;

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeGuardian(EtcdServerSettings settings, RaftMember member, WaitRegistry waits, NodeRefs refs, RequestIdGenerator ids)
    {
        _raftSettings = settings.RaftWithPaths;
        _member = member;
        _waits = waits;
        _refs = refs;
        // The hub first: the store tells it its revision as it opens.
        var watch = Context.ActorOf(WatchHubActor.Props(settings.WatchProgressNotifyInterval), "watch");
        _refs.SetWatch(watch);
        // The lease manager before the store too: the store tells it the lease table as soon as it opens the backend
        // (and so gives it its ref, where the lease manager asks for the member table).
        var lease = Context.ActorOf(LeaseManagerActor.Props(member.Id, member.ClusterId, settings.LeaseWithTimeouts, () => refs.Raft, ids.Next,
            TimeProvider.System, refs.Status, store: () => refs.MvccIfStarted), LeaseManagerActor.Name);
        _refs.SetLease(lease);
        _mvcc = Context.ActorOf(MvccStoreActor.Props(settings.MvccWithPaths, member.Id, member.ClusterId, waits, watch, lease, refs.Auth), "mvcc");
        Context.ActorOf(PeerGatewayActor.Props(refs, member.Id, member.ClusterId), PeerDirectory.GatewayName);
        _refs.SetMvcc(_mvcc);
        Context.Watch(_mvcc);
        StartRaft();

        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_mvcc))
            {
                Fail($"the mvcc store failed {_storeFailures} times without applying anything in between (last: {_lastStoreFailure}) and was stopped");
                return;
            }
            if (!t.ActorRef.Equals(_refs.Raft)) return;
            _refs.SetRaft(null);
            var delay = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks << Math.Min(_restarts, 6)));
            _restarts++;
            _log.Warning("raft actor stopped (journal failure?); recreating in {0} ms (restart #{1})", delay.TotalMilliseconds, _restarts);
            Timers.StartSingleTimer(RecreateTimer, Recreate.Instance, delay);
        });
        Receive<Recreate>(_ => StartRaft());
        Receive<MvccProtocol.Restarted>(OnStoreRestarted);
        Receive<RecoveryProtocol.Recovered>(_ => _failedRecoveries = 0);
        Receive<RecoveryProtocol.RecoveryFailed>(OnRecoveryFailed);
        Receive<RaftProtocol.LeaderChanged>(l =>
        {
            // A successful election after a restart means recovery worked: reset the backoff.
            if (l.Leader != 0) _restarts = 0;
        });
    }

    protected override void PreStart() =>
        Context.System.EventStream.Subscribe(Self, typeof(RaftProtocol.LeaderChanged));

    /// <summary>
    /// Akka's retry window counts nothing here: the store's failures are counted against its progress, so that
    /// transient errors under load never add up while a store that cannot go on stops; RaftActor is recreated
    /// with a backoff; the stateless peer gateway is restarted.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new ChildStrategy(this);

    // How long a store failure counts towards MaxStoreFailuresWithoutProgress when nothing follows it.
    private static readonly TimeSpan StoreFailureMemory = TimeSpan.FromMinutes(1);
    private TimeSpan _lastStoreFailureAt = TimeSpan.MinValue / 2;

    private Directive OnChildFailure(IActorRef child, Exception cause)
    {
        // A RaftActor that threw (a broken invariant) is not restarted in place: like after a journal failure it
        // stops, and the Terminated path recreates it from what is durable, with the backoff.
        if (child.Equals(_refs.Raft)) return Directive.Stop;
        if (!child.Equals(_mvcc)) return Directive.Restart;
        // A failure long after the previous one starts a new count: on an idle member (nothing applied, so no
        // progress to reset it) rare failures, e.g. of reads, must not add up over days until the member exits.
        var now = Context.System.Scheduler.MonotonicClock;
        if (now - _lastStoreFailureAt > StoreFailureMemory) _storeFailures = 0;
        _lastStoreFailureAt = now;
        _storeFailures++;
        _lastStoreFailure = $"{cause.GetType().Name}: {cause.Message}".ReplaceLineEndings(" ");
        if (_storeFailures < MaxStoreFailuresWithoutProgress) return Directive.Restart;
        _log.Error("mvcc store failed {0} times without progress; giving up: {1}", _storeFailures, _lastStoreFailure);
        return Directive.Stop;
    }

    private void OnStoreRestarted(MvccProtocol.Restarted r)
    {
        // The store applied something between its last failure and this one: the failures so far were transient.
        if (r.AppliedIndex > _storeAppliedAtRestart) _storeFailures = 1;
        _storeAppliedAtRestart = r.AppliedIndex;
        // Stopping RaftActor makes the Terminated path above recreate it; it recovers from the journal and
        // re-delivers every committed entry, including the batch the failed store lost.
        _log.Warning("mvcc store restarted at index {0} (failure {1} of at most {2} without progress): restarting raft so that it re-delivers committed entries",
            r.AppliedIndex, _storeFailures, MaxStoreFailuresWithoutProgress);
        if (_refs.Raft is { } raft) Context.Stop(raft);
    }

    private void OnRecoveryFailed(RecoveryProtocol.RecoveryFailed f)
    {
        _failedRecoveries++;
        if (_failedRecoveries < MaxFailedRecoveries)
        {
            _log.Warning("raft could not recover its journal (attempt {0} of {1}): {2}", _failedRecoveries, MaxFailedRecoveries, f.Reason);
            return;
        }
        Fail($"raft could not recover its journal in {_failedRecoveries} attempts (last: {f.Reason})");
    }

    /// <summary>The member cannot serve any more: say why, stop the actors and let the host exit non-zero.</summary>
    private void Fail(string reason)
    {
        _log.Error("{0}; the member cannot serve and stops", reason);
        Timers.Cancel(RecreateTimer);
        Context.System.EventStream.Publish(new NodeFailed(_member.Id, reason));
        if (_refs.Raft is { } r) Context.Stop(r);
        _refs.SetRaft(null);
        Become(() => Receive<object>(_ => { }));
    }

    private void StartRaft()
    {
        // The name is free again once Terminated for the previous incarnation has arrived here.
        var raft = Context.ActorOf(RaftActor.Props(_raftSettings, _member, _mvcc, _waits, _refs.Status), "raft");
        Context.Watch(raft);
        _refs.SetRaft(raft);
    }

    private sealed class Recreate
    {
        public static readonly Recreate Instance = new();
    }

    /// <summary>OneForOne without Akka's retry window; the guardian decides per child.</summary>
    private sealed class ChildStrategy(NodeGuardian guardian) : OneForOneStrategy(-1, -1, Akka.Actor.SupervisorStrategy.DefaultDecider, loggingEnabled: true)
    {
        protected override Directive Handle(IActorRef child, Exception x) => guardian.OnChildFailure(child, x);
    }
}
