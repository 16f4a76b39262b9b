using Etcd.Actors.Server;

namespace Etcd.Actors.Raft;

/// <summary>RaftActor's knobs, derived from the member's settings (etcd flags) with Raft-level defaults.</summary>
public sealed record RaftSettings
{
    /// <summary>One Raft tick (--heartbeat-interval).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Election timeout in ticks (--election-timeout / --heartbeat-interval).</summary>
    public int ElectionTick { get; init; } = 10;

    public int HeartbeatTick { get; init; } = 1;

    /// <summary>Most proposals stepped into one Ready, i.e. one journal write (group commit size).</summary>
    public int MaxBatchEntries { get; init; } = 1_000;

    /// <summary>Most proposal bytes in one journal write; keeps one SQLite transaction bounded.</summary>
    public long MaxBatchBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Proposals queued while a write is in flight; beyond it "too many requests".</summary>
    public int MaxPendingProposals { get; init; } = 20_000;

    /// <summary>Committed-but-unapplied entries beyond which proposals are refused (etcd: 5000).</summary>
    public int MaxCommittedUnapplied { get; init; } = 5_000;

    public int MaxEntriesPerMsg { get; init; } = 1024;

    /// <summary>Entry bytes per MsgApp; stays under Akka.Remote's 128 KB frame.</summary>
    public long MaxBytesPerMsg { get; init; } = 64 * 1024;

    public int MaxInflightMsgs { get; init; } = 256;
    public bool PreVote { get; init; } = true;
    public bool CheckQuorum { get; init; } = true;

    /// <summary>A linearizable read round unanswered for this many ticks fails with "request timed out".</summary>
    public int ReadRoundTimeoutTicks { get; init; } = 50;

    /// <summary>
    /// Applied entries kept in memory behind the applied index (etcd keeps 5000 for catching followers up);
    /// older ones live only in the journal, so the core's memory stays bounded under a long write load.
    /// </summary>
    public int InMemoryLogEntries { get; init; } = 5_000;

    /// <summary>Applied entries between snapshots (--snapshot-count): the backend is checkpointed and older journal rows deleted.</summary>
    public long SnapshotCount { get; init; } = 100_000;

    /// <summary>
    /// Where snapshot files are staged while they are created, sent or received (&lt;data-dir&gt;/member/snap);
    /// null keeps them in a temporary directory (actor specs).
    /// </summary>
    public string? SnapshotDir { get; init; }

    /// <summary>The staging directory in use for <paramref name="memberId"/>: <see cref="SnapshotDir"/> or its temporary fallback.</summary>
    public string SnapshotDirFor(ulong memberId) => SnapshotDir ?? Path.Combine(Path.GetTempPath(), $"etcd-actors-snap-{memberId:x16}");

    /// <summary>Data bytes per snapshot chunk; stays well under Akka.Remote's frame so heartbeats are not held up long.</summary>
    public int SnapshotChunkBytes { get; init; } = 64 * 1024;

    /// <summary>Snapshot chunks sent ahead of the follower's acknowledgement (flow control).</summary>
    public int SnapshotWindow { get; init; } = 8;

    /// <summary>How long the leader's store may take to copy its backend for a snapshot transfer.</summary>
    public TimeSpan SnapshotCreateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A snapshot transfer with no acknowledgement for this long is abandoned (and retried by Raft).</summary>
    public TimeSpan SnapshotAckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>--max-request-bytes: a forwarded proposal larger than this is refused by the leader.</summary>
    public int MaxRequestBytes { get; init; } = 1_572_864;

    /// <summary>--max-txn-ops: the leader validates forwarded txns with the edge's limit.</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>Most proposal bytes in one forward from a follower to the leader (always at least one proposal).</summary>
    public long MaxForwardBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Proposals and reads that arrive while no leader is known wait this many ticks for one (an election
    /// usually takes one or two election timeouts); then they fail with "etcdserver: no leader".
    /// </summary>
    public int NoLeaderTimeoutTicks { get; init; } = 30;

    /// <summary>A ReadIndex request unanswered for this many ticks is sent again (etcd retries after 500 ms).</summary>
    public int ReadRetryTicks { get; init; } = 5;

    /// <summary>How many times a forwarded proposal may be passed on again after a leader change.</summary>
    public int MaxForwardHops { get; init; } = 2;

    /// <summary>A removed member keeps running this many ticks so the commit of its removal reaches the others (etcd: 10).</summary>
    public int RemovedStopTicks { get; init; } = 10;

    /// <summary>Membership changes waiting for the one in flight (single-step); beyond it "too many requests".</summary>
    public int MaxQueuedConfChanges { get; init; } = 16;

    /// <summary>--strict-reconfig-check: refuse membership changes that could cost the quorum.</summary>
    public bool StrictReconfigCheck { get; init; } = true;

    /// <summary>How long a peer must have been heard from continuously to count as healthy (etcd's HealthInterval, 5 s).</summary>
    public int HealthIntervalTicks { get; init; } = 50;

    public static RaftSettings From(EtcdServerSettings s)
    {
        var heartbeat = Math.Max(1, s.HeartbeatIntervalMs);
        return new RaftSettings
        {
            TickInterval = TimeSpan.FromMilliseconds(heartbeat),
            ElectionTick = Math.Max(2, s.ElectionTimeoutMs / heartbeat),
            MaxBatchEntries = Math.Max(1, s.MaxBatchEntries),
            MaxPendingProposals = Math.Max(1, s.MaxPendingProposals),
            MaxCommittedUnapplied = Math.Max(1, s.MaxCommittedUnapplied),
            MaxBatchBytes = Math.Max(8L * 1024 * 1024, 2L * s.MaxRequestBytes),
            ReadRoundTimeoutTicks = Math.Max(1, (int)(s.RequestTimeout.TotalMilliseconds / heartbeat)),
            PreVote = s.PreVote,
            StrictReconfigCheck = s.StrictReconfigCheck,
            SnapshotCount = Math.Max(1, s.SnapshotCount),
            SnapshotDir = Path.Combine(s.MemberDir, "snap"),
            MaxForwardBytes = Math.Max(1024L * 1024, s.MaxRequestBytes),
            MaxRequestBytes = s.MaxRequestBytes,
            MaxTxnOps = s.MaxTxnOps,
            // Three election timeouts, as etcd's "no leader" rule for streams.
            NoLeaderTimeoutTicks = Math.Max(3, 3 * Math.Max(2, s.ElectionTimeoutMs / heartbeat)),
            ReadRetryTicks = Math.Max(1, 500 / heartbeat),
            RemovedStopTicks = 10,
            HealthIntervalTicks = Math.Max(1, 5000 / heartbeat),
            InMemoryLogEntries = Math.Max(1, s.SnapshotCatchUpEntries),
        };
    }
}
