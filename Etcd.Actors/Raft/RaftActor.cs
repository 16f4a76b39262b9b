using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The member's Raft: owns term, vote and log (the journal, persistence id raft-&lt;member id&gt;) and drives
/// the pure <see cref="RaftNode"/>. It only mirrors what the core decides: each role is a behaviour
/// (<c>RaftActor.Follower.cs</c>, <c>.Candidate.cs</c>, <c>.Leader.cs</c>) switched when the core's SoftState
/// says the role changed; it steps commands and peer messages in, persists each Ready in one journal write
/// (group commit), sends to peers over Akka.Remote, hands committed entries to MvccStoreActor and advances.
/// A journal failure stops it; the parent recreates it and it recovers from what is durable.
/// </summary>
public sealed partial class RaftActor : UntypedPersistentActor, IWithTimers
{
    private readonly RaftSettings _settings;
    private readonly RaftMember _member;
    private readonly IActorRef _mvcc;
    private readonly WaitRegistry _waits;
    private readonly MemberStatus _status;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PeerDirectory _peers;
    // Which peers we hear from, since when, when to ping them, and the link watch (PeerHealth.cs).
    private readonly PeerHealth _health;
    private readonly LinkResets _linkResets;
    // Every client request held until answered: reads, forwards, the group-commit queue, appended proposals, the
    // leadership transfer (RaftRequests.cs).
    private readonly RaftRequests _requests;
    // Removed members, and this member's own removal and stop (MemberRemoval.cs).
    private readonly MemberRemoval _removal;
    // The Ready loop: a ProcessReady queued, the journal write in flight and what it carries (WriteCycle.cs).
    private readonly WriteCycle _write = new();
    private RaftNode? _node;
    private long _ticks;

    // Derived from the member; every partial names them so.
    private ulong _memberId => _member.Id;
    private ulong _clusterId => _member.ClusterId;

    public RaftActor(RaftSettings settings, RaftMember member, IActorRef mvcc, WaitRegistry waits, MemberStatus? status = null)
    {
        _settings = settings;
        _member = member;
        _mvcc = mvcc;
        _waits = waits;
        _status = status ?? new MemberStatus();
        _health = new PeerHealth(settings.ElectionTick);
        _linkResets = new LinkResets(settings.ElectionTick);
        _requests = new RaftRequests(settings, member.Id, context => Node.ReadIndex(context));
        _removal = new MemberRemoval(settings.RemovedStopTicks);
        _membership = new MembershipQueue(settings.MaxQueuedConfChanges, settings.NoLeaderTimeoutTicks);
        _peers = new PeerDirectory(((ExtendedActorSystem)Context.System).Provider);
        foreach (var (id, urls) in member.PeerUrls)
            if (id != _memberId) _peers.Set(id, urls);
        PersistenceId = PersistenceIdFor(member.Id);
        SnapshotPluginId = NoSnapshotStore;
    }

    /// <summary>
    /// Raft snapshots are journal events (<c>raftpb.SnapshotSaved</c>, <c>raftpb.SnapshotInstalled</c>) whose
    /// data is the backend file itself; RaftActor never saves to or loads from an Akka snapshot store.
    /// Akka.Persistence still asks the snapshot store before every replay, and starting the SQL snapshot store
    /// for that costs ~0.2 s of a cold start, so RaftActor uses Akka's built-in store that always answers
    /// "no snapshot".
    /// </summary>
    public const string NoSnapshotStore = "akka.persistence.no-snapshot-store";

    public static Props Props(RaftSettings settings, RaftMember member, IActorRef mvcc, WaitRegistry waits, MemberStatus? status = null) =>
        Akka.Actor.Props.Create(() => new RaftActor(settings, member, mvcc, waits, status));

    /// <summary>A member of a new cluster of <paramref name="voters"/> with no peer addresses (actor specs).</summary>
    public static Props Props(RaftSettings settings, ulong memberId, IReadOnlyList<ulong> voters, IActorRef mvcc, WaitRegistry waits) =>
        Props(settings, RaftMember.NewCluster(memberId, voters), mvcc, waits);

    public static string PersistenceIdFor(ulong memberId) => $"raft-{memberId:x16}";

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class ProcessReady
    {
        public static readonly ProcessReady Instance = new();
    }

    private RaftNode Node => _node ?? throw new InvalidOperationException("raft node used before recovery completed");

    /// <summary>Commands before the first role is chosen never arrive (Akka stashes them during recovery).</summary>
    protected override void OnCommand(object message) => Common(message);

    /// <summary>What every role handles alike.</summary>
    private void Common(object message)
    {
        switch (message)
        {
            case ProcessReady:
                OnProcessReady();
                break;
            case Tick:
                OnTick();
                break;
            case PeerEnvelope e:
                OnPeerEnvelope(e);
                break;
            case RaftProtocol.LinearizableRead r:
                OnLinearizableRead(r);
                break;
            case MvccProtocol.Applied a:
                OnApplied(a);
                break;
            case RaftProtocol.GetStatus s:
                OnGetStatus(s);
                break;
            case RaftProtocol.TransferLeadership t:
                t.Completion.TrySetException(EtcdErrors.NotLeader.ToException());
                break;
            case RaftProtocol.HandOffLeadership h:
                h.Completion.TrySetException(EtcdErrors.NotLeader.ToException());
                break;
            case MvccProtocol.MembersChanged mc:
                OnMembersChanged(mc);
                break;
            case RaftProtocol.ChangeMembership c:
                OnMembershipChange(c.Change);
                break;
            case Akka.Remote.DisassociatedEvent d:
                OnTransportLost(d);
                break;
            case Akka.Remote.AssociationErrorEvent e:
                OnTransportLost(e);
                break;
            case PeerClusterQuery:
                Sender.Tell(ClusterInfo(), Self);
                break;
            default:
                if (!OnSnapshotMessage(message)) Unhandled(message);
                break;
        }
    }

    private void OnTick()
    {
        _ticks++;
        if (_ticks % 50 == 0 && _log.IsDebugEnabled)
            _log.Debug($"raft {_memberId:x16}: {Node} {_write.Describe()} proposed={_requests.Batcher.Proposed} installing={_installing is not null} " +
                       $"proposals={_requests.Batcher.Count} held={_requests.Forwards.HeldCount} peers={string.Join(',', _peers.Ids.Select(i => i.ToString("x")))} " +
                       $"heard={_health.Describe(_ticks)}");
        // A candidate's election clock stands still while its own term and vote are being written: its vote counts
        // only once durable, so timing out then would start another election (another term, another write) that
        // cannot win sooner. When every write outlasts the election timeout (a starved disk), a single voter used to
        // campaign for ever without electing itself. etcd's server loop (etcdserver/raft.go) does not tick while it
        // saves a Ready, whatever the role; only the candidate stands still here: a pre-candidate writes nothing, and a
        // frozen follower or leader clock would stretch check-quorum and delay replacing a dead leader. No bound on the
        // skipped ticks: a write that never ends fails at the journal's call timeout (10 s) and the actor is recreated.
        if (!(_node!.Role == RaftRole.Candidate && _write.InFlight)) Node.Tick();
        TickReadRound();
        ExpireHeld();
        TickRemoval();
        TickTransfer();
        TickPeerPing();
        ExpireHeldMembership();
        if (_node!.Role == RaftRole.Leader) TryProposeMembership();
        ScheduleReady();
    }

    private void OnPeerMessage(Message m)
    {
        var node = Node;
        // Only members the cluster removed are refused (and told so), as etcd's transport does. A sender missing
        // from our configuration is usually one we have not applied yet (a new leader whose AddNode we acked but
        // have not seen committed): dropping it would strand us. Only our cluster gets this far (RaftActor.Peer.cs).
        if (_removal.IsRemoved(m.From))
        {
            Sender.Tell(new PeerEnvelope { ClusterId = _clusterId, To = m.From, From = _memberId, Removed = new MemberRemovedNotice { Id = m.From } }, Self);
            return;
        }
        // A forwarded MsgTransferLeader names the transferee in From, not the member that sent it.
        if (m.Type != MessageType.MsgTransferLeader)
        {
            if (IsCurrentMember(m.From)) _health.Heard(m.From, _ticks);
            _peers.LearnFrom(m.From, Sender);
        }
        if (m.Type == MessageType.MsgSnap)
        {
            // The data comes in SnapshotChunks; a bare MsgSnap (no data) cannot be installed.
            _log.Warning("raft {0:x16}: MsgSnap from {1:x16} without its data, ignored", _memberId, m.From);
            return;
        }
        node.Step(m);
        ScheduleReady();
    }

    private void SendMessages(IReadOnlyList<Message> all)
    {
        // A batch's empty commit MsgApps go only when no later MsgApp of the same send carries their news (OutboundAppends).
        var messages = OutboundAppends.Coalesce(all);
        _write.Sending(messages.Count);
        foreach (var m in messages)
        {
            if (m.Type == MessageType.MsgSnap)
            {
                SendSnapshot(m);
                continue;
            }
            // An unknown or unreachable peer simply misses the message: Raft retries (heartbeats, probes).
            // One envelope per message (the entries are not copied): etcd's X-Etcd-Cluster-ID and X-Raft-To.
            if (_peers.TryGet(m.To, out var peer)) peer.Tell(new PeerEnvelope { ClusterId = _clusterId, To = m.To, From = _memberId, Raft = m }, Self);
        }
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        FailOutstanding(EtcdErrors.Stopped);
        // A stopped RaftActor leads nothing: the edge and the lease manager must not go on as if this member led
        // until the next incarnation reports (a leader whose lessor kept renewing with no Raft behind it:
        // etcd-io/etcd#15247). Published after the status is cleared, as OnSoftState does.
        var term = _node?.Term ?? _status.Term;
        _status.SetLeader(0, term);
        Context.System.EventStream.Publish(new RaftProtocol.LeaderChanged(_memberId, 0, term));
        base.PostStop();
    }
}
