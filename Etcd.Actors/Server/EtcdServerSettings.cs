using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;

namespace Etcd.Actors.Server;

/// <summary>
/// What the library needs to run one member: its identity, URLs and the gRPC edge's limits, plus the settings
/// of the parts it composes (<see cref="Raft"/>, <see cref="Mvcc"/>), which know nothing of this type.
/// Etcd.Node builds it with <see cref="Create"/> from etcd's flags, ETCD_* variables, a config file and
/// reference.conf; tests start from <see cref="Default"/>. No value has a default in code: each comes from
/// one key of reference.conf.
/// </summary>
public sealed partial record EtcdServerSettings
{
    // Only Create and `with` make one: a `new EtcdServerSettings { ... }` would silently leave every other knob empty.
    private EtcdServerSettings()
    {
    }

    /// <summary>reference.conf's member: "default", data in ./default.etcd, localhost:2379/2380, as etcd with no flags.</summary>
    public static EtcdServerSettings Default { get; } = Create(Akka.Configuration.Config.Empty);

    /// <summary>Human-readable member name (--name).</summary>
    public required string Name { get; init; }

    /// <summary>Data directory (--data-dir); the journal and backend live in &lt;data-dir&gt;/member.</summary>
    public required string DataDir { get; init; }

    /// <summary>URLs this member advertises to clients (--advertise-client-urls).</summary>
    public required IReadOnlyList<string> AdvertiseClientUrls { get; init; }

    /// <summary>URLs this member advertises to peers (--initial-advertise-peer-urls).</summary>
    public required IReadOnlyList<string> AdvertisePeerUrls { get; init; }

    /// <summary>--initial-cluster as name → peer URLs, in the order given.</summary>
    public required IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> InitialCluster { get; init; }

    /// <summary>URLs to listen on for peer traffic (--listen-peer-urls); the first one is the Akka.Remote endpoint.</summary>
    public required IReadOnlyList<string> ListenPeerUrls { get; init; }

    /// <summary>--initial-cluster-token; mixed into member and cluster IDs.</summary>
    public required string InitialClusterToken { get; init; }

    /// <summary>--initial-cluster-state: "new" or "existing".</summary>
    public required string InitialClusterState { get; init; }

    /// <summary>--quota-backend-bytes: 0 means the default of 2 GiB; negative disables it.</summary>
    public required long QuotaBackendBytes { get; init; }

    /// <summary>--bcrypt-cost, after etcd's rule (outside [4, 31]: the default 10).</summary>
    public int BcryptCost { get; init; } = Auth.BcryptPasswordHasher.DefaultCost;

    /// <summary>--auth-token-ttl: how long a simple token lives past its last use (etcd's default 300 s).</summary>
    public TimeSpan AuthTokenTtl { get; init; } = Auth.SimpleTokens.DefaultTtl;

    /// <summary>--auth-token: "simple", or "jwt,..." with its options (etcd's format, parsed by Auth.AuthTokenSetup).</summary>
    public string AuthToken { get; init; } = Auth.Core.TokenOptions.Simple;

    /// <summary>
    /// The JWT tokens <see cref="AuthToken"/> names, made before the member starts (so a bad key stops it with etcd's
    /// message, Etcd.Node's NodeRunner); when null with a jwt <see cref="AuthToken"/>, EtcdNode makes them itself.
    /// </summary>
    public Auth.JwtTokens? Jwt { get; init; }

    /// <summary>--max-txn-ops: operations allowed per txn branch.</summary>
    public required int MaxTxnOps { get; init; }

    /// <summary>--max-request-bytes: the largest proposal accepted.</summary>
    public required int MaxRequestBytes { get; init; }

    /// <summary>debug, info, warn or error: the Akka log level (--log-level).</summary>
    public required string LogLevel { get; init; }

    /// <summary>RaftActor's settings (the Raft flags and etcd.raft); <see cref="RaftWithPaths"/> adds this member's directory.</summary>
    public required RaftSettings Raft { get; init; }

    /// <summary>MvccStoreActor's settings (etcd.mvcc); <see cref="MvccWithPaths"/> adds this member's backend file.</summary>
    public required MvccSettings Mvcc { get; init; }

    /// <summary>LeaseManagerActor's settings (--experimental-enable-lease-checkpoint and etcd's lessor constants).</summary>
    public required LeaseSettings Lease { get; init; }

    /// <summary>What LeaseManagerActor runs with: a new leader extends every lease by an election timeout (etcd's Promote).</summary>
    public LeaseSettings LeaseWithTimeouts => Lease with { PromoteExtension = Raft.ElectionTimeout };

    /// <summary>The auto compactor's settings (--auto-compaction-mode/-retention, etcd.compactor).</summary>
    public required Compactor.CompactorSettings Compactor { get; init; }

    /// <summary>TLS on the peer port when the peer URLs are https (null: plain TCP); set by the host, not read from HOCON.</summary>
    public PeerTlsSettings? PeerTls { get; init; }

    /// <summary>Extra HOCON laid over the member's Akka configuration (a config file's akka section; tests swap the journal).</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>How long a proposal may wait to be applied before "request timed out" (etcd: 5 s + 2 × election timeout).</summary>
    public TimeSpan RequestTimeout => Raft.RequestTimeout;

    public string MemberDir => Path.Combine(DataDir, "member");
    public string JournalPath => Path.Combine(MemberDir, "raft.db");
    public string BackendPath => Path.Combine(MemberDir, "mvcc.db");
    public string SnapshotDir => Path.Combine(MemberDir, "snap");

    /// <summary>What RaftActor runs with: <see cref="Raft"/> staging snapshots in this member's <see cref="SnapshotDir"/>.</summary>
    public RaftSettings RaftWithPaths => Raft with { SnapshotDir = SnapshotDir };

    /// <summary>What MvccStoreActor runs with: <see cref="Mvcc"/> on this member's <see cref="BackendPath"/>.</summary>
    public MvccSettings MvccWithPaths => Mvcc with { BackendPath = BackendPath };

    /// <summary>
    /// etcd's minLeaseTTL in seconds, from this member's tick and election timeout (2 s at etcd's defaults). Applied
    /// where a grant is proposed (EtcdServer.LeaseGrantAsync), not where it is applied, so that every member applies
    /// the same TTL whatever its own timeouts.
    /// </summary>
    public long MinLeaseTtl => LeaseRules.MinTtl(Raft.ElectionTick, Raft.TickInterval);
}
