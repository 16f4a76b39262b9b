using Akka.Configuration;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Raft;

/// <summary>
/// RaftActor's knobs (and its snapshot helpers'). Each value comes from one key of reference.conf (the Raft
/// flags at the top of <c>etcd</c>, the rest under <c>etcd.raft</c>) through <see cref="Create"/>, which
/// refuses a bad value naming its key; there are no defaults in code. Values that follow from the tick
/// (timeouts in ticks) are computed, so <c>Default with { TickInterval = ... }</c> stays consistent.
/// </summary>
public sealed record RaftSettings
{
    // Only Create and `with` make one: a `new RaftSettings { ... }` would silently zero every other knob.
    private RaftSettings()
    {
    }

    /// <summary>reference.conf's values, with snapshots staged in a temporary directory (actor specs).</summary>
    public static RaftSettings Default { get; } = Create(Config.Empty);

    /// <summary>One Raft tick (--heartbeat-interval).</summary>
    public required TimeSpan TickInterval { get; init; }

    /// <summary>Election timeout in ticks (--election-timeout / --heartbeat-interval, as etcd divides).</summary>
    public required int ElectionTick { get; init; }

    /// <summary>A heartbeat every tick: etcd's heartbeat interval is its tick.</summary>
    public int HeartbeatTick => 1;

    /// <summary>Leaders step down without a quorum's traffic for an election timeout; etcd 3.4 always runs with it.</summary>
    public bool CheckQuorum => true;

    /// <summary>--pre-vote.</summary>
    public required bool PreVote { get; init; }

    /// <summary>--strict-reconfig-check: refuse membership changes that could cost the quorum.</summary>
    public required bool StrictReconfigCheck { get; init; }

    /// <summary>Applied entries between snapshots (--snapshot-count): the backend is checkpointed and older journal rows deleted.</summary>
    public required long SnapshotCount { get; init; }

    /// <summary>etcd.raft.max-batch-entries: most proposals stepped into one Ready, i.e. one journal write (group commit size).</summary>
    public required int MaxBatchEntries { get; init; }

    /// <summary>etcd.raft.max-batch-bytes (at least twice --max-request-bytes): most proposal bytes in one journal write.</summary>
    public required long MaxBatchBytes { get; init; }

    /// <summary>etcd.raft.max-pending-proposals: proposals (and reads) queued; beyond it "too many requests".</summary>
    public required int MaxPendingProposals { get; init; }

    /// <summary>etcd.raft.max-committed-unapplied: beyond it proposals are refused (etcd: 5000).</summary>
    public required int MaxCommittedUnapplied { get; init; }

    /// <summary>etcd.raft.max-entries-per-message.</summary>
    public required int MaxEntriesPerMsg { get; init; }

    /// <summary>etcd.raft.max-bytes-per-message: entry bytes per MsgApp.</summary>
    public required long MaxBytesPerMsg { get; init; }

    /// <summary>etcd.raft.max-inflight-messages: MsgApps in flight per follower.</summary>
    public required int MaxInflightMsgs { get; init; }

    /// <summary>etcd.raft.snapshot-catch-up-entries: applied entries kept in memory behind the applied index.</summary>
    public required int InMemoryLogEntries { get; init; }

    /// <summary>
    /// Where snapshot files are staged while they are created, sent or received (&lt;data-dir&gt;/member/snap,
    /// set by the member from its data directory); null keeps them in a temporary directory (actor specs).
    /// </summary>
    public string? SnapshotDir { get; init; }

    /// <summary>The staging directory in use for <paramref name="memberId"/>: <see cref="SnapshotDir"/> or its temporary fallback.</summary>
    public string SnapshotDirFor(ulong memberId) => SnapshotDir ?? Path.Combine(Path.GetTempPath(), $"etcd-actors-snap-{memberId:x16}");

    /// <summary>etcd.raft.snapshot-chunk-size: data bytes per snapshot chunk.</summary>
    public required int SnapshotChunkBytes { get; init; }

    /// <summary>etcd.raft.snapshot-window: snapshot chunks sent ahead of the follower's acknowledgement.</summary>
    public required int SnapshotWindow { get; init; }

    /// <summary>etcd.raft.snapshot-create-timeout: how long the leader's store may take to copy its backend.</summary>
    public required TimeSpan SnapshotCreateTimeout { get; init; }

    /// <summary>etcd.raft.snapshot-ack-timeout: a transfer silent this long is abandoned (and retried by Raft).</summary>
    public required TimeSpan SnapshotAckTimeout { get; init; }

    /// <summary>etcd.raft.snapshot-max-transfers: snapshot transfers running at once; each holds a copy of the backend on disk.</summary>
    public required int MaxSnapshotTransfers { get; init; }

    /// <summary>etcd.raft.snapshot-retry-min: after a failed transfer the follower waits this long before the next.</summary>
    public required TimeSpan SnapshotRetryMin { get; init; }

    /// <summary>etcd.raft.snapshot-retry-max: the wait after repeated failures doubles up to this.</summary>
    public required TimeSpan SnapshotRetryMax { get; init; }

    /// <summary>etcd.raft.snapshot-max-size: the largest snapshot a follower accepts.</summary>
    public required long MaxSnapshotBytes { get; init; }

    /// <summary>etcd.raft.max-forward-bytes (at least --max-request-bytes): most proposal bytes in one forward.</summary>
    public required long MaxForwardBytes { get; init; }

    /// <summary>etcd.raft.max-forward-hops: how often a forwarded proposal may be passed on after a leader change.</summary>
    public required int MaxForwardHops { get; init; }

    /// <summary>etcd.raft.removed-stop-ticks: a removed member keeps running this many ticks (etcd: 10).</summary>
    public required int RemovedStopTicks { get; init; }

    /// <summary>etcd.raft.max-queued-conf-changes: membership changes waiting for the one in flight.</summary>
    public required int MaxQueuedConfChanges { get; init; }

    /// <summary>etcd.raft.no-leader-election-timeouts: how many election timeouts requests wait for a leader.</summary>
    public required int NoLeaderElectionTimeouts { get; init; }

    /// <summary>etcd.raft.read-retry-interval: a ReadIndex request unanswered this long is sent again.</summary>
    public required TimeSpan ReadRetryInterval { get; init; }

    /// <summary>etcd.raft.peer-health-interval: heard from continuously this long makes a peer healthy (etcd's HealthInterval).</summary>
    public required TimeSpan PeerHealthInterval { get; init; }

    /// <summary>The election timeout as etcd runs it: whole ticks.</summary>
    public TimeSpan ElectionTimeout => TickInterval * ElectionTick;

    /// <summary>How long a request may take before "request timed out": etcd's ReqTimeout, 5 s + 2 × the election timeout.</summary>
    public TimeSpan RequestTimeout => TimeSpan.FromSeconds(5) + 2 * ElectionTimeout;

    /// <summary>A linearizable read round unanswered for this many ticks fails with "request timed out".</summary>
    public int ReadRoundTimeoutTicks => Ticks(RequestTimeout);

    /// <summary>Requests that arrive while no leader is known wait this many ticks for one; then "etcdserver: no leader".</summary>
    public int NoLeaderTimeoutTicks => NoLeaderElectionTimeouts * ElectionTick;

    /// <summary>A ReadIndex request unanswered for this many ticks is sent again.</summary>
    public int ReadRetryTicks => Ticks(ReadRetryInterval);

    /// <summary>How long a peer must have been heard from continuously to count as healthy, in ticks.</summary>
    public int HealthIntervalTicks => Ticks(PeerHealthInterval);

    /// <summary>Whole ticks in <paramref name="span"/>, at least one.</summary>
    private int Ticks(TimeSpan span) => (int)Math.Max(1, span.Ticks / Math.Max(1, TickInterval.Ticks));

    /// <summary>--max-request-bytes: a forwarded proposal larger than this is refused by the leader.</summary>
    public required int MaxRequestBytes { get; init; }

    /// <summary>--max-txn-ops: the leader validates forwarded txns with the edge's limit.</summary>
    public required int MaxTxnOps { get; init; }

    /// <summary>
    /// Reads the Raft flags (heartbeat-interval, election-timeout, pre-vote, strict-reconfig-check,
    /// snapshot-count, max-request-bytes) and <c>etcd.raft.*</c> from <paramref name="config"/>, falling back to
    /// reference.conf; the snapshot directory is the member's to set. Throws <see cref="ArgumentException"/>
    /// naming the key (or, for the election timeout, with etcd's own message) on a bad value.
    /// </summary>
    public static RaftSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        var heartbeatMs = r.Int("etcd.heartbeat-interval", min: 1);
        var electionMs = r.Int("etcd.election-timeout", min: 1);
        // etcd's own checks and words (embed/config.go, Config.Validate).
        if (electionMs < 5 * (long)heartbeatMs)
            throw new ArgumentException($"--election-timeout[{electionMs}ms] should be at least as 5 times as --heartbeat-interval[{heartbeatMs}ms]");
        if (electionMs > 50000)
            throw new ArgumentException($"--election-timeout[{electionMs}ms] is too long, and should be set less than 50000ms");
        var maxRequestBytes = r.Int("etcd.max-request-bytes", min: 1);
        var retryMin = r.Duration("etcd.raft.snapshot-retry-min");
        var retryMax = r.Duration("etcd.raft.snapshot-retry-max");
        if (retryMax < retryMin)
            throw new ArgumentException($"etcd.raft.snapshot-retry-max ({retryMax}) must be at least etcd.raft.snapshot-retry-min ({retryMin})");
        return new RaftSettings
        {
            TickInterval = TimeSpan.FromMilliseconds(heartbeatMs),
            ElectionTick = electionMs / heartbeatMs,
            PreVote = r.Bool("etcd.pre-vote"),
            StrictReconfigCheck = r.Bool("etcd.strict-reconfig-check"),
            SnapshotCount = r.Long("etcd.snapshot-count", min: 1),
            MaxPendingProposals = r.Int("etcd.raft.max-pending-proposals", min: 1),
            MaxBatchEntries = r.Int("etcd.raft.max-batch-entries", min: 1),
            MaxBatchBytes = Math.Max(r.Bytes("etcd.raft.max-batch-bytes", min: 1), 2L * maxRequestBytes),
            MaxForwardBytes = Math.Max(r.Bytes("etcd.raft.max-forward-bytes", min: 1), maxRequestBytes),
            MaxForwardHops = r.Int("etcd.raft.max-forward-hops", min: 0),
            MaxCommittedUnapplied = r.Int("etcd.raft.max-committed-unapplied", min: 1),
            InMemoryLogEntries = r.Int("etcd.raft.snapshot-catch-up-entries", min: 1),
            MaxEntriesPerMsg = r.Int("etcd.raft.max-entries-per-message", min: 1),
            MaxBytesPerMsg = r.Bytes("etcd.raft.max-bytes-per-message", min: 1),
            MaxInflightMsgs = r.Int("etcd.raft.max-inflight-messages", min: 1),
            NoLeaderElectionTimeouts = r.Int("etcd.raft.no-leader-election-timeouts", min: 1),
            ReadRetryInterval = r.Duration("etcd.raft.read-retry-interval"),
            MaxQueuedConfChanges = r.Int("etcd.raft.max-queued-conf-changes", min: 1),
            PeerHealthInterval = r.Duration("etcd.raft.peer-health-interval"),
            RemovedStopTicks = r.Int("etcd.raft.removed-stop-ticks", min: 1),
            SnapshotChunkBytes = (int)r.Bytes("etcd.raft.snapshot-chunk-size", min: 1, max: int.MaxValue),
            SnapshotWindow = r.Int("etcd.raft.snapshot-window", min: 1),
            SnapshotCreateTimeout = r.Duration("etcd.raft.snapshot-create-timeout"),
            SnapshotAckTimeout = r.Duration("etcd.raft.snapshot-ack-timeout"),
            MaxSnapshotTransfers = r.Int("etcd.raft.snapshot-max-transfers", min: 1),
            SnapshotRetryMin = retryMin,
            SnapshotRetryMax = retryMax,
            MaxSnapshotBytes = r.Bytes("etcd.raft.snapshot-max-size", min: 1),
            MaxRequestBytes = maxRequestBytes,
            MaxTxnOps = r.Int("etcd.max-txn-ops", min: 1),
        };
    }
}
