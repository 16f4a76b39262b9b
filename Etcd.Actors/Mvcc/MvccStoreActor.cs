using System.Diagnostics.CodeAnalysis;
using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Apply;
using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc.Core;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// /user/etcd/mvcc: owns the KV store and its SQLite backend. Applies committed Raft entries in index order
/// (one backend transaction per batch, with the consistent index), completes the waiters of this member's
/// proposals once the batch is durable, and serves reads at an applied index (linearizable reads after
/// ReadIndex, serializable reads at once). A thin shell: <see cref="Applier"/> and <see cref="KvStore"/>
/// decide everything, <see cref="Cluster.Core.MemberTable"/> the membership (MvccStoreActor.Members.cs); snapshots
/// and checkpoints are in MvccStoreActor.Snapshot.cs. On failure it is restarted in place and reopens the
/// backend, which holds exactly the committed batches; Raft re-delivers what came after the consistent index.
/// </summary>
public sealed partial class MvccStoreActor : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Most ReadAt batches waiting for the applied index; beyond it reads fail with "too many requests".</summary>
    private int MaxPendingReadBatches { get; }

    private readonly ulong _memberId;
    private readonly ulong _clusterId;
    private readonly WaitRegistry _waits;
    private readonly string _backendPath;
    private readonly long _backendCacheBytes;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Replaced together when a snapshot is installed (OpenStore).
    private SqliteBackend _backend;
    private KvStore _store;
    private Applier _applier;

    // Outcomes of the batch being applied, released only after the backend commit.
    private readonly List<(ulong Id, ApplyResult Result)> _outcomes = new();

    private ulong _applied;
    private ulong _term;

    // The RaftActor incarnation whose batches this store instance applies: the last one that announced itself
    // (RaftStarted) to this instance. Each incarnation announces itself before its first batch, so the instance
    // has every batch it sent since. After a restart (a new instance) the batch that failed is gone and the
    // guardian recreates RaftActor to hand out the committed entries again: until that incarnation announces
    // itself nothing is applied, so a batch the old one still sent, whatever its indexes, is never applied
    // after, or in between, the new one's. From the current incarnation a gap is a broken invariant.
    private IActorRef? _raft;
    // Only a fresh instance that no RaftActor announced itself to yet takes batches from anyone (specs drive the
    // store directly; in a member the RaftActor's announcement always comes first). A restarted one never does.
    private bool _restarted;

    public MvccStoreActor(MvccSettings settings, ulong memberId, ulong clusterId, WaitRegistry waits, IActorRef? watchHub = null,
        IActorRef? leaseManager = null, AuthGate? authGate = null)
    {
        _authGate = authGate;
        _watchHub = watchHub;
        _leaseManager = leaseManager;
        _memberId = memberId;
        _clusterId = clusterId;
        _waits = waits;
        _backendPath = settings.BackendPath ?? throw new ArgumentException("MvccSettings.BackendPath is not set", nameof(settings));
        MaxPendingReadBatches = settings.MaxPendingReadBatches;
        _compactionBatchLimit = settings.CompactionBatchLimit;
        _compactionBatchInterval = settings.CompactionBatchInterval;
        _maxUnconsumedWatchBytes = settings.MaxUnconsumedWatchBytes;
        _rangeStepRows = settings.RangeStepRows;
        _maxOpenRanges = settings.MaxOpenRanges;
        _backendCacheBytes = settings.BackendCacheBytes;
        OpenStore();

        Receive<MvccProtocol.RaftStarted>(_ => _raft = Sender);
        Receive<MvccProtocol.ApplyCommitted>(HandleApply);
        Receive<MvccProtocol.ReadAt>(HandleReadAt);
        Receive<MvccProtocol.SerializableRead>(r => Serve(r.Read));
        Receive<MvccProtocol.FillStatus>(HandleStatus);
        Receive<MvccProtocol.GetMembers>(m => m.ReplyTo.Tell(MembersMessage()));
        Receive<MvccProtocol.ListMembers>(HandleListMembers);
        Receive<MvccProtocol.CreateSnapshot>(HandleCreateSnapshot);
        Receive<MvccProtocol.InstallSnapshot>(HandleInstallSnapshot);
        Receive<MvccProtocol.Checkpoint>(_ => HandleCheckpoint());
        ReceiveIntegrity();
        ReceiveWatch();
        ReceiveLeases();
        ReceiveCompaction();
        Receive<MvccProtocol.StepRanges>(_ => StepRanges());
    }

    /// <summary>Opens the backend file and builds everything derived from it: tree index, applier, member table.</summary>
    [MemberNotNull(nameof(_backend), nameof(_store), nameof(_applier), nameof(_members), nameof(_leases))]
    private void OpenStore()
    {
        _backend = SqliteBackend.Open(_backendPath, _backendCacheBytes);
        try
        {
            // Config-independent: the proposing member raised the TTL to its minimum already (EtcdServer.LeaseGrantAsync).
            _leases = new LeaseTable(LeaseRules.ApplyFloorTtl, _backend.Leases);
            _store = new KvStore(_backend, new StoreLeases(_leases));
        }
        catch
        {
            _backend.Dispose();
            throw;
        }
        _applier = new Applier(_store, _leases, _clusterId, _memberId) { Auth = _backend.LoadAuth(), Gate = _authGate };
        _members = _backend.Members;
        PublishMemberAddresses();
        _alarms = _backend.Alarms;
        _applied = _store.ConsistentIndex;
        AttachWatch();
        AnnounceLeases();
        _authGate?.Publish(AuthStateCodec.FromRows(AuthStateCodec.ToRows(_applier.Auth)), _applied);
    }

    public static Props Props(MvccSettings settings, ulong memberId, ulong clusterId, WaitRegistry waits, IActorRef? watchHub = null,
        IActorRef? leaseManager = null, AuthGate? authGate = null) =>
        Akka.Actor.Props.Create(() => new MvccStoreActor(settings, memberId, clusterId, waits, watchHub, leaseManager, authGate));

    protected override void PreStart()
    {
        _log.Info("mvcc store opened: member {0:x16} cluster {1:x16}, revision {2}, compacted {3}, consistent index {4}, {5}",
            _memberId, _clusterId, _store.CurrentRevision, _store.CompactedRevision, _applied, $"{_store.IndexedKeys} keys, {_members.Count} members");
        // A compaction a crash interrupted goes on (MvccStoreActor.Compaction.cs).
        ContinueCompactionLater();
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        // The failure itself was logged by the supervisor; say only what happens next.
        _log.Warning("mvcc store restarted at applied index {0} after {1}; asking for the committed entries again", _applied, reason.GetType().Name);
        _restarted = true;
        Context.Parent.Tell(new MvccProtocol.Restarted(_applied));
    }

    protected override void PostStop()
    {
        FailAllPendingReads(EtcdErrors.Stopped);
        FailOpenRanges(EtcdErrors.Stopped);
        FailCompactionWaiters(EtcdErrors.Stopped);
        _backend.Dispose();
    }

    /// <summary>
    /// Whether the message being handled comes from the current RaftActor incarnation (see <see cref="_raft"/>).
    /// Batches, snapshot installs, checkpoints and linearizable reads are taken only from it: an older incarnation
    /// is gone, and a snapshot it received may be one the current one's journal does not know of.
    /// </summary>
    private bool FromCurrentRaft => _raft is null ? !_restarted : _raft.Equals(Sender);

    private void HandleApply(MvccProtocol.ApplyCommitted msg)
    {
        var entries = msg.Entries;
        if (!FromCurrentRaft)
        {
            // From a RaftActor incarnation before the current one (or before a restart of this store): the
            // current one hands out every committed entry this store has not applied.
            if (entries.Count > 0)
                _log.Debug("dropped committed entries {0}..{1} from {2}, which is not the current raft incarnation; they are delivered again",
                    entries[0].Index, entries[^1].Index, Sender);
            return;
        }
        if (msg.Term > _term) _term = msg.Term;
        var last = _applied;
        var revisionBefore = _store.CurrentRevision;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Index <= _applied) continue; // committed before a restart: already in the backend
            if (e.Index != last + 1)
                throw new InvalidOperationException($"apply gap: entry {e.Index} after {last}");
            last = e.Index;
            if (e.Type == EntryType.EntryConfChange)
            {
                if (TryParse(ConfChange.Parser, e, out var cc)) ApplyConfChange(cc);
                continue;
            }
            // The leader's empty entry only advances the index.
            if (e.Type != EntryType.EntryNormal || e.Data.IsEmpty) continue;
            if (!TryParse(InternalRaftRequest.Parser, e, out var request)) continue;
            if (request.RequestCase == InternalRaftRequest.RequestOneofCase.ClusterMemberAttrSet)
                ApplyMemberAttrSet(request.ID, request.ClusterMemberAttrSet);
            else
                _outcomes.Add((request.ID, ApplyRequest(request, e.Index)));
        }

        var membersChanged = _membersDirty;
        if (last > _applied)
        {
            if (membersChanged) _backend.StageMembers(_members);
            StageAlarms();
            if (_leases.IsDirty) _backend.StageLeases(_leases.TakeDirty());
            var authRows = StageAuth();
            _store.Commit(last);
            _applied = last;
            PublishAuth(authRows);
            // Durable now: the lease manager learns what the batch did before any waiter hears of it.
            PublishLeaseChanges();
            PublishWatchEvents(revisionBefore);
        }
        _membersDirty = false;

        // Only now is every response durable: release the waiters.
        for (var i = 0; i < _outcomes.Count; i++)
        {
            var (id, result) = _outcomes[i];
            if (result.Error is null) _waits.Trigger(id, result.Response!);
            else _waits.Fail(id, result.Error);
        }
        _outcomes.Clear();

        if (membersChanged)
        {
            PublishMemberAddresses();
            Sender.Tell(MembersMessage());
            // The lease manager answers forwarded keep-alives only from current members (LeaseManagerActor.Forwarding.cs).
            _leaseManager?.Tell(MembersMessage());
        }
        Sender.Tell(new MvccProtocol.Applied(_applied));
        ServeReadyReads();
        ContinueCompactionLater();
    }

    /// <summary>
    /// A committed entry whose data is not a request is skipped, with no waiter to answer (its id is in the data):
    /// it reached the log without the edge's checks, and throwing would fail it on every member, for ever
    /// (etcd panics). The verdict is the same on every member, so they stay identical.
    /// </summary>
    private bool TryParse<T>(Google.Protobuf.MessageParser<T> parser, Entry e, [NotNullWhen(true)] out T? message)
        where T : Google.Protobuf.IMessage<T>
    {
        try
        {
            // From the span: parsing a ByteString first wraps it in a CodedInputStream, one allocation per entry.
            message = parser.ParseFrom(e.Data.Span);
            return true;
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            _log.Error("skipped committed entry {0} (term {1}): its data is not a {2}: {3}", e.Index, e.Term, typeof(T).Name, ex.Message);
            message = default;
            return false;
        }
    }

    private void HandleStatus(MvccProtocol.FillStatus msg)
    {
        var s = msg.Partial with
        {
            Version = EtcdVersion,
            DbSize = _backend.SizeBytes,
            DbSizeInUse = _backend.SizeInUseBytes,
            RaftAppliedIndex = _applied,
            Header = Header(msg.Partial.RaftTerm != 0 ? msg.Partial.RaftTerm : _term),
            Errors = AlarmErrors(),
        };
        msg.Completion.TrySetResult(s);
    }

    /// <summary>The header etcd stamps on this member's answers (the same fields as the applier's response header).</summary>
    private ReplyHeader Header(ulong term) => new(_clusterId, _memberId, _store.CurrentRevision, term);

    /// <summary>The etcd server version this member reports (etcdctl shows it in endpoint status).</summary>
    public const string EtcdVersion = "3.4.23";

    private void Serve(MvccProtocol.ReadCommand read)
    {
        // The caller gave up (timeout or cancellation): do not spend a read on nobody.
        if (read.Completion.Task.IsCompleted) return;
        if (read.Request is RangeRequest range && TryServeInSteps(range, read)) return;
        ApplyResult result;
        try
        {
            result = _applier.Read(read.Request, _term, read.Asker);
        }
        catch (ArgumentException ex)
        {
            read.Completion.TrySetException(ex);
            return;
        }
        if (result.Error is null) read.Completion.TrySetResult(result.Response!);
        else read.Completion.TrySetException(result.Error.ToException());
    }
}
