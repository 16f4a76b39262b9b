using Akka.Actor;
using Akka.Event;

namespace Etcd.Actors.Raft;

/// <summary>
/// /user/etcd/raft/leader-duties-&lt;term&gt;: exists exactly as long as this member leads (RaftActor starts it
/// when the core becomes leader and stops it on step-down, so nothing a leader does in the background can
/// outlive the leadership). Today it runs the snapshot transfers to followers that fell behind the compacted
/// log: one <see cref="SnapshotSenderActor"/> per follower, at most <see cref="RaftSettings.MaxSnapshotTransfers"/>
/// at once (each reads the whole backend), the rest refused so Raft retries them later. After a failed transfer
/// the same follower waits (etcd.raft.snapshot-retry-min, 2 s, doubling up to snapshot-retry-max, 60 s, while
/// failures repeat) before the next one starts, so a follower that cannot take a snapshot does not make the
/// leader copy its backend over and over.
/// </summary>
public sealed class LeaderDutiesActor : ReceiveActor
{
    private readonly Dictionary<ulong, IActorRef> _senders = new();
    private readonly Dictionary<ulong, (DateTime NotBefore, TimeSpan Delay)> _retry = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public LeaderDutiesActor(RaftSettings settings, ulong memberId, ulong clusterId, IActorRef mvcc)
    {
        var raft = Context.Parent;
        Receive<SnapshotProtocol.Send>(s =>
        {
            var to = s.Snap.To;
            // One at a time per follower. The core sends no MsgSnap while one is on its way, so a second one means the
            // first sender already reported and is stopping: refuse this one too, so Raft retries instead of waiting.
            if (_senders.ContainsKey(to))
            {
                raft.Tell(new SnapshotProtocol.Report(to, false));
                return;
            }
            if (_senders.Count >= settings.MaxSnapshotTransfers || (_retry.TryGetValue(to, out var r) && DateTime.UtcNow < r.NotBefore))
            {
                raft.Tell(new SnapshotProtocol.Report(to, false));
                return;
            }
            _log.Info("raft {0:x16}: sending snapshot at index {1} to {2:x16}", memberId, s.Snap.Snapshot.Metadata.Index, to);
            var sender = Context.ActorOf(SnapshotSenderActor.Props(settings, memberId, clusterId, s.Snap, s.Peer, mvcc, raft), $"snapshot-to-{to:x16}");
            Context.Watch(sender);
            _senders[to] = sender;
        });
        // Each sender tells us its outcome as well as RaftActor: failures back off, a success clears the delay.
        Receive<SnapshotProtocol.Report>(rep =>
        {
            if (rep.Ok)
            {
                _retry.Remove(rep.To);
                return;
            }
            var delay = _retry.TryGetValue(rep.To, out var r) ? TimeSpan.FromTicks(Math.Min(settings.SnapshotRetryMax.Ticks, r.Delay.Ticks * 2)) : settings.SnapshotRetryMin;
            _retry[rep.To] = (DateTime.UtcNow + delay, delay);
        });
        Receive<Terminated>(t =>
        {
            foreach (var (to, sender) in _senders)
            {
                if (!sender.Equals(t.ActorRef)) continue;
                _senders.Remove(to);
                break;
            }
        });
        // Acks RaftActor checked go to the transfer to the member that sent them.
        Receive<SnapshotProtocol.Ack>(a =>
        {
            if (_senders.TryGetValue(a.From, out var sender)) sender.Tell(a);
        });
        // Anything else here is stale.
        ReceiveAny(_ => { });
    }

    public static Props Props(RaftSettings settings, ulong memberId, ulong clusterId, IActorRef mvcc) =>
        Akka.Actor.Props.Create(() => new LeaderDutiesActor(settings, memberId, clusterId, mvcc));

    /// <summary>A failing transfer is the sender's own business (it reports and stops): never restart one.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
