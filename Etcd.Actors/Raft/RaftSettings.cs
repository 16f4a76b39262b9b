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
        };
    }
}
