using Akka.Configuration;

namespace Etcd.Actors.Server;

public sealed partial record EtcdServerSettings
{
    /// <summary>The library's defaults (the embedded reference.conf).</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>
    /// Reads the etcd.* section, falling back to reference.conf for every key that is not set.
    /// </summary>
    public static EtcdServerSettings Create(Config config)
    {
        var c = config.WithFallback(Reference).GetConfig("etcd");
        var name = c.GetString("name");
        var dataDir = c.GetString("data-dir");
        if (string.IsNullOrEmpty(dataDir)) dataDir = name + ".etcd";
        var peerUrls = c.GetStringList("initial-advertise-peer-urls").ToArray();
        var cluster = ParseInitialCluster(c.GetString("initial-cluster"), name, peerUrls);
        return new EtcdServerSettings
        {
            Name = name,
            DataDir = dataDir,
            AdvertiseClientUrls = c.GetStringList("advertise-client-urls").ToArray(),
            ListenPeerUrls = c.GetStringList("listen-peer-urls").ToArray(),
            PreVote = c.GetBoolean("pre-vote"),
            StrictReconfigCheck = c.GetBoolean("strict-reconfig-check"),
            AdvertisePeerUrls = peerUrls,
            InitialCluster = cluster,
            InitialClusterToken = c.GetString("initial-cluster-token"),
            InitialClusterState = c.GetString("initial-cluster-state"),
            HeartbeatIntervalMs = c.GetInt("heartbeat-interval"),
            ElectionTimeoutMs = c.GetInt("election-timeout"),
            SnapshotCount = c.GetLong("snapshot-count"),
            QuotaBackendBytes = c.GetLong("quota-backend-bytes"),
            MaxTxnOps = c.GetInt("max-txn-ops"),
            MaxRequestBytes = c.GetInt("max-request-bytes"),
            LogLevel = c.GetString("log-level"),
            InitialCorruptCheck = c.GetBoolean("experimental-initial-corrupt-check"),
            CorruptCheckTime = c.GetTimeSpan("experimental-corrupt-check-time", null, allowInfinite: false),
            MaxPendingProposals = c.GetInt("raft.max-pending-proposals"),
            MaxBatchEntries = c.GetInt("raft.max-batch-entries"),
            MaxCommittedUnapplied = c.GetInt("raft.max-committed-unapplied"),
            SnapshotCatchUpEntries = c.GetInt("raft.snapshot-catch-up-entries"),
        }.Validated();
    }

    /// <summary>"name=url,name=url" as etcd writes it; a name may repeat to give a member several URLs.</summary>
    public static IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> ParseInitialCluster(
        string spec, string selfName, IReadOnlyList<string> selfPeerUrls)
    {
        if (string.IsNullOrWhiteSpace(spec)) return [new(selfName, selfPeerUrls)];
        var members = new List<KeyValuePair<string, List<string>>>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw new ArgumentException($"--initial-cluster: expected name=url, got \"{part}\"");
            var name = part[..eq];
            var url = part[(eq + 1)..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--initial-cluster: URL must be http(s)://host:port, got \"{url}\"");
            var existing = members.FindIndex(m => m.Key == name);
            if (existing >= 0) members[existing].Value.Add(url);
            else members.Add(new(name, [url]));
        }
        return members.Select(m => new KeyValuePair<string, IReadOnlyList<string>>(m.Key, m.Value)).ToArray();
    }

    /// <summary>Rejects settings etcd itself would reject, with a one-line reason.</summary>
    public EtcdServerSettings Validated()
    {
        if (HeartbeatIntervalMs <= 0) throw new ArgumentException("--heartbeat-interval must be > 0");
        if (ElectionTimeoutMs < 5 * HeartbeatIntervalMs)
            throw new ArgumentException($"--election-timeout[{ElectionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[{HeartbeatIntervalMs}ms]");
        if (ElectionTimeoutMs > 50000) throw new ArgumentException($"--election-timeout[{ElectionTimeoutMs}ms] is too long, and should be set less than 50000ms");
        if (MaxTxnOps <= 0) throw new ArgumentException("--max-txn-ops must be > 0");
        if (MaxRequestBytes <= 0) throw new ArgumentException("--max-request-bytes must be > 0");
        if (SnapshotCount <= 0) throw new ArgumentException("--snapshot-count must be > 0");
        if (CorruptCheckTime < TimeSpan.Zero) throw new ArgumentException("--experimental-corrupt-check-time must not be negative");
        if (InitialClusterState is not ("new" or "existing"))
            throw new ArgumentException($"--initial-cluster-state must be \"new\" or \"existing\", got \"{InitialClusterState}\"");
        if (!InitialCluster.Any(m => m.Key == Name))
            throw new ArgumentException($"couldn't find local name \"{Name}\" in the initial cluster configuration");
        return this;
    }

    private static Config LoadReference()
    {
        using var stream = typeof(EtcdServerSettings).Assembly.GetManifestResourceStream("Etcd.Actors.reference.conf")
            ?? throw new InvalidOperationException("embedded reference.conf is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
