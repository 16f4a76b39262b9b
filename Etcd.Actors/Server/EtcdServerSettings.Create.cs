using Akka.Configuration;
using Etcd.Actors.Compactor;
using Etcd.Actors.Configuration;
using Etcd.Actors.Lease;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;

namespace Etcd.Actors.Server;

public sealed partial record EtcdServerSettings
{
    /// <summary>
    /// Reads the member's keys (etcd's flags under <c>etcd</c>) from <paramref name="config"/>, falling back to
    /// reference.conf for every key it lacks, and the parts' settings with their own factories. A bad value
    /// throws <see cref="ArgumentException"/>: with etcd's message where etcd refuses it, else naming the key.
    /// </summary>
    public static EtcdServerSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        var name = r.String("etcd.name");
        var dataDir = r.String("etcd.data-dir");
        // etcd: no --data-dir means ./<name>.etcd.
        if (string.IsNullOrEmpty(dataDir)) dataDir = name + ".etcd";
        var peerUrls = r.Strings("etcd.initial-advertise-peer-urls");
        var initialClusterState = r.String("etcd.initial-cluster-state");
        if (initialClusterState is not ("new" or "existing"))
            throw new ArgumentException($"--initial-cluster-state must be \"new\" or \"existing\", got \"{initialClusterState}\"");
        var cluster = ParseInitialCluster(r.String("etcd.initial-cluster"), name, peerUrls);
        if (!cluster.Any(m => m.Key == name))
            throw new ArgumentException($"couldn't find local name \"{name}\" in the initial cluster configuration");
        return new EtcdServerSettings
        {
            Name = name,
            DataDir = dataDir,
            AdvertiseClientUrls = r.Strings("etcd.advertise-client-urls"),
            ListenPeerUrls = NotEmpty("etcd.listen-peer-urls", r.Strings("etcd.listen-peer-urls")),
            AdvertisePeerUrls = NotEmpty("etcd.initial-advertise-peer-urls", peerUrls),
            InitialCluster = cluster,
            InitialClusterToken = r.String("etcd.initial-cluster-token"),
            InitialClusterState = initialClusterState,
            QuotaBackendBytes = r.Long("etcd.quota-backend-bytes"),
            MaxTxnOps = r.Int("etcd.max-txn-ops", min: 1),
            MaxRequestBytes = r.Int("etcd.max-request-bytes", min: 1),
            LogLevel = r.String("etcd.log-level"),
            InitialCorruptCheck = r.Bool("etcd.experimental-initial-corrupt-check"),
            CorruptCheckTime = r.DurationOrZero("etcd.experimental-corrupt-check-time"),
            WatchProgressNotifyInterval = r.DurationOrZero("etcd.experimental-watch-progress-notify-interval"),
            BcryptCost = Auth.BcryptPasswordHasher.EffectiveCost((uint)r.Long("etcd.bcrypt-cost", min: 0)),
            AuthTokenTtl = TimeSpan.FromSeconds(r.Long("etcd.auth-token-ttl", min: 1)),
            AuthToken = r.String("etcd.auth-token"),
            Raft = RaftSettings.Create(config),
            Mvcc = MvccSettings.Create(config),
            Lease = LeaseSettings.Create(config),
            Compactor = CompactorSettings.Create(config),
        };
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

    private static IReadOnlyList<string> NotEmpty(string path, IReadOnlyList<string> urls) =>
        urls.Count > 0 ? urls : throw new ArgumentException($"{path} must name at least one URL");
}
