namespace Etcd.Actors.Server;

/// <summary>
/// What the library needs to run one member. Etcd.Node builds it from etcd's flags, ETCD_* variables,
/// a config file and reference.conf (DESIGN §7); tests build it directly.
/// </summary>
public sealed partial record EtcdServerSettings
{
    /// <summary>Human-readable member name (--name).</summary>
    public string Name { get; init; } = "default";

    /// <summary>Data directory (--data-dir); the journal and backend live in &lt;data-dir&gt;/member.</summary>
    public string DataDir { get; init; } = "default.etcd";

    /// <summary>URLs this member advertises to clients (--advertise-client-urls).</summary>
    public IReadOnlyList<string> AdvertiseClientUrls { get; init; } = ["http://localhost:2379"];

    /// <summary>URLs this member advertises to peers (--initial-advertise-peer-urls).</summary>
    public IReadOnlyList<string> AdvertisePeerUrls { get; init; } = ["http://localhost:2380"];

    /// <summary>--initial-cluster as name → peer URLs, in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> InitialCluster { get; init; } =
        [new("default", ["http://localhost:2380"])];

    /// <summary>URLs to listen on for peer traffic (--listen-peer-urls); the first one is the Akka.Remote endpoint.</summary>
    public IReadOnlyList<string> ListenPeerUrls { get; init; } = ["http://localhost:2380"];

    /// <summary>--pre-vote. On by default here (etcd 3.5's default; 3.4 has it off): a rejoining partitioned member never disrupts the leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>--strict-reconfig-check: refuse membership changes that could cost the quorum.</summary>
    public bool StrictReconfigCheck { get; init; } = true;

    /// <summary>--initial-cluster-token; mixed into member and cluster IDs.</summary>
    public string InitialClusterToken { get; init; } = "etcd-cluster";

    /// <summary>--initial-cluster-state: "new" or "existing".</summary>
    public string InitialClusterState { get; init; } = "new";

    /// <summary>--heartbeat-interval in milliseconds: one Raft tick.</summary>
    public int HeartbeatIntervalMs { get; init; } = 100;

    /// <summary>--election-timeout in milliseconds.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary>--snapshot-count: applied entries between snapshots.</summary>
    public long SnapshotCount { get; init; } = 100_000;

    /// <summary>--quota-backend-bytes: 0 means the default of 2 GiB; negative disables it.</summary>
    public long QuotaBackendBytes { get; init; }

    /// <summary>--max-txn-ops: operations allowed per txn branch.</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>--max-request-bytes: the largest proposal accepted.</summary>
    public int MaxRequestBytes { get; init; } = 1_572_864;

    /// <summary>How long a proposal may wait to be applied before "request timed out" (etcd: 5 s + 2 × election timeout).</summary>
    public TimeSpan RequestTimeout => TimeSpan.FromMilliseconds(5000 + 2 * ElectionTimeoutMs);

    /// <summary>Most proposals queued in RaftActor while a journal write is in flight; more are refused with "too many requests".</summary>
    public int MaxPendingProposals { get; init; } = 20_000;

    /// <summary>Most entries persisted in one journal batch (one PersistAll).</summary>
    public int MaxBatchEntries { get; init; } = 1_000;

    /// <summary>
    /// Applied entries the leader keeps in memory to catch a lagging follower up by replication (etcd's
    /// SnapshotCatchUpEntries, 5000); a follower further behind gets a snapshot.
    /// </summary>
    public int SnapshotCatchUpEntries { get; init; } = 5_000;

    /// <summary>Committed-but-unapplied entries beyond which new proposals are refused (etcd: 5000).</summary>
    public int MaxCommittedUnapplied { get; init; } = 5_000;

    /// <summary>debug, info, warn or error: the Akka log level (--log-level).</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>Extra HOCON appended after the built-in configuration (tests use it to swap the journal).</summary>
    public string? ExtraHocon { get; init; }

    public string MemberDir => Path.Combine(DataDir, "member");
    public string JournalPath => Path.Combine(MemberDir, "raft.db");
    public string BackendPath => Path.Combine(MemberDir, "mvcc.db");
}
