using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Actors.Server;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The member's Raft: owns term, vote and log (the journal, persistence id raft-&lt;member id&gt;) and
/// drives the pure <see cref="RaftNode"/>. It only mirrors what the core decides: it steps commands in,
/// persists each Ready in one journal write (group commit), then sends, hands committed entries to
/// MvccStoreActor and advances. A journal failure stops it; the parent recreates it and it recovers
/// from what is durable.
/// </summary>
public sealed partial class RaftActor : UntypedPersistentActor, IWithTimers
{
    private readonly RaftSettings _settings;
    private readonly ulong _memberId;
    private readonly IReadOnlyList<ulong> _voters;
    private readonly IActorRef _mvcc;
    private readonly WaitRegistry _waits;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<ulong, IActorRef> _peers = new();
    private RaftNode? _node;

    public RaftActor(RaftSettings settings, ulong memberId, IReadOnlyList<ulong> voters, IActorRef mvcc, WaitRegistry waits)
    {
        _settings = settings;
        _memberId = memberId;
        _voters = voters;
        _mvcc = mvcc;
        _waits = waits;
        PersistenceId = PersistenceIdFor(memberId);
        SnapshotPluginId = NoSnapshotStore;
    }

    /// <summary>
    /// Raft snapshots are journal events (<c>raftpb.SnapshotInstalled</c>); RaftActor never saves to or loads
    /// from an Akka snapshot store. Akka.Persistence still asks the snapshot store before every replay, and
    /// starting the SQL snapshot store for that (its own linq2db connection, query and mapping) costs
    /// ~0.2 s of a cold start, so RaftActor uses Akka's built-in store that always answers "no snapshot".
    /// </summary>
    public const string NoSnapshotStore = "akka.persistence.no-snapshot-store";

    public static Props Props(EtcdServerSettings settings, ulong memberId, IReadOnlyList<ulong> voters, IActorRef mvcc, WaitRegistry waits) =>
        Props(RaftSettings.From(settings), memberId, voters, mvcc, waits);

    public static Props Props(RaftSettings settings, ulong memberId, IReadOnlyList<ulong> voters, IActorRef mvcc, WaitRegistry waits) =>
        Akka.Actor.Props.Create(() => new RaftActor(settings, memberId, voters, mvcc, waits));

    public static string PersistenceIdFor(ulong memberId) => $"raft-{memberId:x16}";

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Seam for the multi-node issue: tells RaftActor where a peer's RaftActor is. Raft messages
    /// (raftpb.Message) for that peer are then sent to it; incoming ones are stepped into the core.
    /// </summary>
    public sealed record ConnectPeer(ulong Id, IActorRef Ref);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class ProcessReady
    {
        public static readonly ProcessReady Instance = new();
    }

    private RaftNode Node => _node ?? throw new InvalidOperationException("raft node used before recovery completed");

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case RaftProtocol.Propose p:
                OnPropose(p);
                break;
            case ProcessReady:
                OnProcessReady();
                break;
            case Tick:
                OnTick();
                break;
            case Message m:
                Node.Step(m);
                ScheduleReady();
                break;
            case RaftProtocol.LinearizableRead r:
                OnLinearizableRead(r);
                break;
            case MvccProtocol.Applied a:
                if (a.Index > _mvccApplied) _mvccApplied = a.Index;
                CompactInMemoryLog();
                break;
            case RaftProtocol.GetStatus s:
                OnGetStatus(s);
                break;
            case ConnectPeer c:
                _peers[c.Id] = c.Ref;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnTick()
    {
        Node.Tick();
        TickReadRound();
        ScheduleReady();
    }

    private void SendMessages(IReadOnlyList<Message> messages)
    {
        foreach (var m in messages)
        {
            // Until the transport lands (next issue) an unknown peer is simply unreachable: Raft
            // tolerates lost messages, and a single member never sends any.
            if (_peers.TryGetValue(m.To, out var peer)) peer.Tell(m, Self);
        }
    }

    protected override void PostStop()
    {
        FailOutstanding(EtcdErrors.Stopped);
        base.PostStop();
    }
}
