using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;

namespace Etcd.Actors.Server;

/// <summary>
/// /user/etcd: parent of one member's actors. MvccStoreActor is restarted in place on failure (it reopens
/// the backend). RaftActor stops itself on a journal failure (Akka.Persistence does that); the guardian
/// then recreates it after a backoff, and it recovers from what is durable. Nothing continues in place
/// after a failed write. A store that fails more often than the strategy allows is stopped, and then the
/// whole member is: the guardian publishes <see cref="NodeFailed"/> and the host exits non-zero.
/// </summary>
public sealed class NodeGuardian : ReceiveActor, IWithTimers
{
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

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeGuardian(EtcdServerSettings settings, RaftMember member, WaitRegistry waits, NodeRefs refs)
    {
        _raftSettings = RaftSettings.From(settings);
        _member = member;
        _waits = waits;
        _refs = refs;
        _mvcc = Context.ActorOf(MvccStoreActor.Props(settings, member.Id, member.ClusterId, waits), "mvcc");
        Context.ActorOf(PeerGatewayActor.Props(refs, member.Id, member.ClusterId), PeerDirectory.GatewayName);
        _refs.SetMvcc(_mvcc);
        Context.Watch(_mvcc);
        StartRaft();

        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_mvcc))
            {
                // The supervisor gave up on the store (more restarts than it allows in a minute).
                _log.Error("mvcc store stopped after repeated failures; the member cannot serve and stops");
                Context.System.EventStream.Publish(new NodeFailed(member.Id, "the store failed repeatedly and was stopped"));
                if (_refs.Raft is { } r) Context.Stop(r);
                Become(() => Receive<object>(_ => { }));
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
        Receive<MvccProtocol.Restarted>(r =>
        {
            // Stopping RaftActor makes the Terminated path above recreate it; it recovers from the journal
            // and re-delivers every committed entry, including the batch the failed store lost.
            _log.Warning("mvcc store restarted at index {0}: restarting raft so that it re-delivers committed entries", r.AppliedIndex);
            if (_refs.Raft is { } raft) Context.Stop(raft);
        });
        Receive<RaftProtocol.LeaderChanged>(l =>
        {
            // A successful election after a restart means recovery worked: reset the backoff.
            if (l.Leader != 0) _restarts = 0;
        });
    }

    protected override void PreStart() =>
        Context.System.EventStream.Subscribe(Self, typeof(RaftProtocol.LeaderChanged));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: 10, withinTimeRange: TimeSpan.FromMinutes(1), Decider.From(Directive.Restart));

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
}
