using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Lease;

/// <summary>
/// /user/etcd/lease: the time side of this member's leases (etcd's lessor runLoop). A thin shell over the pure
/// <see cref="Lessor"/>, which follows the applied lease table through <see cref="MvccLeaseProtocol.LeasesApplied"/>
/// and is primary only while this member leads (learned from <see cref="RaftProtocol.LeaderChanged"/>, which RaftActor
/// publishes on every leadership change: no polling), from the moment its store has applied the leader's first entry
/// (LeaseManagerActor.Promotion.cs). Only the primary expires leases, and only by proposing a
/// LeaseRevoke through Raft, which every member applies in log order: no replica deletes a key by its own clock.
/// Keep-alives and TTL queries that reach a follower are forwarded to the leader's lease manager
/// (LeaseManagerActor.Forwarding.cs); the leader answers them once its lessor is current (LeaseManagerActor.Held.cs).
/// A member whose RaftActor is down is never primary.
/// </summary>
public sealed partial class LeaseManagerActor : ReceiveActor, IWithTimers
{
    /// <summary>The actor's name under /user/etcd.</summary>
    public const string Name = "lease";

    private const string LoopTimer = "lease-loop";

    private readonly ulong _memberId;
    private readonly ulong _clusterId;
    private readonly LeaseSettings _settings;
    private readonly Func<IActorRef?> _raft;
    private readonly Func<ulong> _nextId;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Lessor _lessor;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MemberStatus? _status;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="raft">The current RaftActor incarnation (null while it is down): where revocations and checkpoints are proposed.</param>
    /// <param name="nextId">The member's request ids (the same generator as the facade's, so no id is used twice).</param>
    /// <param name="time">The clock leases expire by (a fake one in specs).</param>
    /// <param name="status">RaftActor's shared view of the leader: a LeaderChanged published before this actor subscribed
    /// (a starved start) is caught up from it at the next loop.</param>
    /// <param name="random">Where the first forwarded request's number comes from (null: <see cref="Random.Shared"/>;
    /// seeded in specs): each incarnation starts at a random 64-bit value, so an answer meant for a previous one is
    /// not taken as its own.</param>
    /// <param name="store">The member's store, or null before it exists: a restarted incarnation asks it for the lease table.</param>
    public LeaseManagerActor(ulong memberId, ulong clusterId, LeaseSettings settings, Func<IActorRef?> raft, Func<ulong> nextId,
        TimeProvider time, MemberStatus? status, Random? random, Func<IActorRef?>? store)
    {
        _store = store ?? (() => null);
        var r = random ?? Random.Shared;
        _seq = ((ulong)r.NextInt64() << 1) ^ (ulong)r.NextInt64();
        // Leadership rounds too: a previous incarnation's round answer, piped here after an Akka restart, must not
        // confirm this incarnation's round of the same number.
        _roundSeq = r.NextInt64();
        _status = status;
        _memberId = memberId;
        _clusterId = clusterId;
        _settings = settings;
        _raft = raft;
        _nextId = nextId;
        _time = time;
        _start = time.GetTimestamp();
        _lessor = new Lessor(settings.Checkpointing ? (long)settings.CheckpointInterval.TotalMilliseconds : 0,
            (long)settings.RetryRevoke.TotalMilliseconds);

        Receive<MvccLeaseProtocol.LeasesApplied>(OnApplied);
        Receive<RaftProtocol.LeaderChanged>(OnLeaderChanged);
        Receive<Loop>(_ => OnLoop());
        Receive<MvccLeaseProtocol.AppliedUpTo>(OnAppliedUpTo);
        Receive<LeaseProtocol.KeepAlive>(OnKeepAlive);
        Receive<LeaseProtocol.TimeToLive>(OnTimeToLive);
        Receive<LeaseProtocol.List>(l =>
        {
            if (!Hold(l)) l.Completion.TrySetResult(_lessor.Ids());
        });
        ReceiveForwarding();
        ReceiveLeadership();
        // Subscribed here, not in PreStart, so that RaftActor (created right after) cannot publish before it.
        Context.System.EventStream.Subscribe(Self, typeof(RaftProtocol.LeaderChanged));
    }

    public static Props Props(ulong memberId, ulong clusterId, LeaseSettings settings, Func<IActorRef?> raft, Func<ulong> nextId,
        TimeProvider time, MemberStatus? status = null, Random? random = null, Func<IActorRef?>? store = null) =>
        Akka.Actor.Props.Create(() => new LeaseManagerActor(memberId, clusterId, settings, raft, nextId, time, status, random, store));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(LoopTimer, Loop.Instance, _settings.LoopInterval);
        // After a restart (the guardian restarts this actor on a failure) the store exists and has the table this
        // incarnation lost; at the first start it does not exist yet and announces the table when it opens.
        AskTable();
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        FailAllForwards(EtcdErrors.Stopped);
        FailHeld(EtcdErrors.Stopped);
        FailRounds(EtcdErrors.Stopped);
    }

    /// <summary>Milliseconds on the injected clock since this actor started (monotonic).</summary>
    private long Now => (long)_time.GetElapsedTime(_start).TotalMilliseconds;

    private long PromoteExtensionMs => (long)_settings.PromoteExtension.TotalMilliseconds;

    private void OnApplied(MvccLeaseProtocol.LeasesApplied a)
    {
        // The store: where the member table (the leader's address) is asked for.
        if (!Sender.IsNobody()) _mvcc = Sender;
        var now = Now;
        if (a.Reset)
        {
            _lessor.Reset(a.Changes, now, PromoteExtensionMs);
            _tableLoaded = true;
            ReleaseHeld(now);
            // The member table too: a leader answers forwarded requests only from current members (the store tells
            // this actor each change from then on).
            _membersAsked = false;
            AskMembers();
            return;
        }
        for (var i = 0; i < a.Changes.Count; i++) _lessor.Apply(a.Changes[i], now);
    }

    /// <summary>etcd's runLoop: propose the revocation of expired leases (rate-limited) and the due checkpoints.</summary>
    private void OnLoop()
    {
        var now = Now;
        _membersAsked = false; // an unanswered ask (the store restarting) is asked again, at most once per loop
        _appliedAsked = false;
        if (!_tableLoaded) AskTable(); // unanswered (the store restarting): asked again, once per loop
        CatchUpLeader();
        TryPromote();
        ReleaseHeld(now);
        ExpireForwards(now);
        ExpireRound(now);
        if (!_lessor.IsPrimary) return;
        var perLoop = Math.Max(1, (int)(_settings.RevokeRatePerSecond * _settings.LoopInterval.TotalSeconds));
        var expired = _lessor.Expired(now, perLoop);
        var due = _lessor.DueCheckpoints(now, _settings.MaxCheckpointBatch);
        // Proposed only once a leadership round confirms this member still leads (LeaseDuty.cs says why).
        if (expired.Count > 0 || due.Count > 0) ConfirmThenRenew(new LeaseDuty(expired, due));
    }

    /// <summary>
    /// A <see cref="LeaseDuty"/> whose round confirmed leadership in <paramref name="term"/>: what is still due now goes
    /// to Raft, bound to that leadership (a lease renewed, revoked or given a fresh life by a promotion since the duty
    /// was made is left alone; a checkpoint's remaining TTL is taken now, after any renewal the round answered first).
    /// </summary>
    private void ProposeDuty(LeaseDuty duty, ulong term)
    {
        var now = Now;
        foreach (var id in duty.Expired)
        {
            if (!_lessor.IsExpired(id, now)) continue;
            Propose(new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } }, term);
            Context.System.EventStream.Publish(new LeaseProtocol.ExpiryProposed(_memberId, id));
            _log.Debug("lease: {0:x16} expired; revocation proposed", id);
        }
        if (duty.Checkpoints.Count == 0) return;
        var due = new List<LeaseRecord>(duty.Checkpoints.Count);
        foreach (var c in duty.Checkpoints)
            if (_lessor.Checkpoint(c.Id, now) is { } cp) due.Add(cp);
        if (due.Count > 0) ProposeCheckpoints(due, term);
    }

    private void OnKeepAlive(LeaseProtocol.KeepAlive k)
    {
        CatchUpLeader();
        if (!Hold(k)) RenewNow(k);
    }

    private void RenewNow(LeaseProtocol.KeepAlive k)
    {
        if (!_lessor.IsPrimary) ForwardKeepAlive(k);
        else ConfirmThenRenew(k); // LeaseManagerActor.Leadership.cs
    }

    private void OnTimeToLive(LeaseProtocol.TimeToLive t)
    {
        CatchUpLeader();
        if (!Hold(t)) TimeToLiveNow(t);
    }

    private void TimeToLiveNow(LeaseProtocol.TimeToLive t)
    {
        if (!_lessor.IsPrimary)
        {
            ForwardTimeToLive(t);
            return;
        }
        t.Completion.TrySetResult(_lessor.TimeToLive(t.Id, Now));
    }

    private void ProposeCheckpoints(IReadOnlyList<LeaseRecord> due, ulong term)
    {
        var cp = new LeaseCheckpointRequest();
        foreach (var r in due) cp.Checkpoints.Add(new LeaseCheckpoint { ID = r.Id, RemainingTTL = r.RemainingTtl });
        Propose(new InternalRaftRequest { LeaseCheckpoint = cp }, term);
    }

    /// <summary>
    /// Proposes without a waiter: nobody waits for an expiry or a checkpoint. One lost in a leader change is not
    /// final: an expired lease is proposed again after the retry interval, a checkpoint at the next one.
    /// </summary>
    private void Propose(InternalRaftRequest request, ulong term)
    {
        if (_raft() is not { } raft) return;
        request.ID = _nextId();
        // Bound to the leadership a round confirmed: RaftActor appends it only as leader of that term, never forwards it.
        raft.Tell(new RaftProtocol.Propose(request.ID, request.ToByteString(), term));
    }

    private sealed class Loop
    {
        public static readonly Loop Instance = new();
    }
}
