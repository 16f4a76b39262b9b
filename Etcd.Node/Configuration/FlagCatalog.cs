using static Etcd.Node.Configuration.FlagSupport;

namespace Etcd.Node.Configuration;

/// <summary>
/// Every flag of etcd 3.4.23's `etcd --help`, in its order, with its default and what Etcd.Actors does with
/// it (reference/etcd-v3-api.md §2.11). Supported flags land in HOCON under etcd.&lt;name&gt; and reach
/// EtcdServerSettings.Create and the parts' factories (or the Kestrel edge); the others are refused unless
/// left at their default, or documented as having no effect. A supported flag's default here is etcd's, for
/// --help; the value in force is its key in Etcd.Actors/reference.conf, and DefaultsSpecs checks that the two
/// agree for every flag that has a key and that every supported flag has one.
/// </summary>
public static class FlagCatalog
{
    private const string NoV2 = "the v2 API and v2 proxy are out of scope";
    private const string NoDiscovery = "discovery is not built yet; use --initial-cluster";
    private const string NoMetrics = "the metrics/health listener and /metrics are not built yet";

    public static IReadOnlyList<FlagSpec> All { get; } =
    [
        // Member
        S("name", FlagKind.String, "default"),
        S("data-dir", FlagKind.String, "") with { ShownDefault = "${name}.etcd" },
        R("wal-dir", FlagKind.String, "", "a dedicated WAL directory is not built yet (the Raft journal lives in <data-dir>/member)"),
        S("snapshot-count", FlagKind.UInt, "100000"),
        S("heartbeat-interval", FlagKind.UInt, "100") with { Max = int.MaxValue },
        S("election-timeout", FlagKind.UInt, "1000") with { Max = int.MaxValue },
        N("initial-election-tick-advance", FlagKind.Bool, "true", "Raft's start-up election timing is not tunable"),
        S("listen-peer-urls", FlagKind.Urls, "http://localhost:2380") with { Refuse = OnePeerUrl },
        S("listen-client-urls", FlagKind.Urls, "http://localhost:2379") with { Refuse = NoUnixUrls },
        N("max-snapshots", FlagKind.UInt, "5", "snapshots live in SQLite; there are no snapshot files to rotate"),
        N("max-wals", FlagKind.UInt, "5", "the Raft log is a SQLite journal; there are no WAL files to rotate"),
        S("quota-backend-bytes", FlagKind.Int, "0"),
        N("backend-batch-interval", FlagKind.Duration, "0", "the SQLite backend commits once per applied batch") with { ShownDefault = "" },
        N("backend-batch-limit", FlagKind.Int, "0", "the SQLite backend commits once per applied batch"),
        S("max-txn-ops", FlagKind.UInt, "128") with { Max = int.MaxValue },
        S("max-request-bytes", FlagKind.UInt, "1572864") with { Max = int.MaxValue },
        S("max-concurrent-streams", FlagKind.UInt, "4294967295") with { ShownDefault = "math.MaxUint32" },
        N("grpc-keepalive-min-time", FlagKind.Duration, "5s", "Kestrel has no minimum client ping interval to enforce"),
        S("grpc-keepalive-interval", FlagKind.Duration, "2h"),
        S("grpc-keepalive-timeout", FlagKind.Duration, "20s"),

        // Clustering
        S("initial-advertise-peer-urls", FlagKind.Urls, "http://localhost:2380") with { Refuse = NoUnixPeerUrls },
        S("initial-cluster", FlagKind.String, "") with { ShownDefault = "default=http://localhost:2380", Refuse = InitialClusterUrls },
        S("initial-cluster-state", FlagKind.String, "new") with { Allowed = ["new", "existing"] },
        S("initial-cluster-token", FlagKind.String, "etcd-cluster"),
        S("advertise-client-urls", FlagKind.Urls, "http://localhost:2379") with { Refuse = NoUnixUrls },
        R("discovery", FlagKind.String, "", NoDiscovery),
        R("discovery-fallback", FlagKind.String, "proxy", NoDiscovery) with { Allowed = ["proxy", "exit"] },
        R("discovery-proxy", FlagKind.String, "", NoDiscovery),
        R("discovery-srv", FlagKind.String, "", NoDiscovery),
        R("discovery-srv-name", FlagKind.String, "", NoDiscovery),
        S("strict-reconfig-check", FlagKind.Bool, "true"),
        // On by default here (etcd 3.5's default): a member back from a partition never deposes the leader.
        S("pre-vote", FlagKind.Bool, "true"),
        // Parsed with the mode by CompactorSettings.Create, with etcd's messages.
        S("auto-compaction-retention", FlagKind.String, "0"),
        S("auto-compaction-mode", FlagKind.String, "periodic") with { Allowed = ["periodic", "revision"] },
        R("enable-v2", FlagKind.Bool, "false", NoV2),

        // Security
        S("cert-file", FlagKind.String, ""),
        S("key-file", FlagKind.String, ""),
        S("client-cert-auth", FlagKind.Bool, "false"),
        S("client-crl-file", FlagKind.String, ""),
        R("client-cert-allowed-hostname", FlagKind.String, "", "client certificate host name checks are not built yet"),
        S("trusted-ca-file", FlagKind.String, ""),
        S("auto-tls", FlagKind.Bool, "false"),
        // Peer TLS: Akka.Remote's DotNetty TLS on https peer URLs (PeerTlsOptions, Etcd.Node/Tls/PeerTlsSetup.cs).
        S("peer-cert-file", FlagKind.String, ""),
        S("peer-key-file", FlagKind.String, ""),
        S("peer-client-cert-auth", FlagKind.Bool, "false"),
        S("peer-trusted-ca-file", FlagKind.String, ""),
        S("peer-cert-allowed-cn", FlagKind.String, ""),
        S("peer-cert-allowed-hostname", FlagKind.String, ""),
        S("peer-auto-tls", FlagKind.Bool, "false"),
        S("peer-crl-file", FlagKind.String, ""),
        S("cipher-suites", FlagKind.List, ""),
        R("cors", FlagKind.List, "*", "the HTTP/JSON gateway (the only CORS user) is not built yet"),
        R("host-whitelist", FlagKind.List, "*", "the HTTP/JSON gateway (the only host check user) is not built yet"),

        // Auth
        // simple or jwt,...: parsed with etcd's messages by Auth.AuthTokenSetup before the member starts (NodeRunner).
        S("auth-token", FlagKind.String, "simple"),
        S("bcrypt-cost", FlagKind.UInt, "10") with { Max = int.MaxValue },
        S("auth-token-ttl", FlagKind.UInt, "300") with { Max = int.MaxValue },

        // Profiling and monitoring
        R("enable-pprof", FlagKind.Bool, "false", "profiling endpoints are not built (use dotnet-trace / dotnet-counters)"),
        R("metrics", FlagKind.String, "basic", NoMetrics) with { Allowed = ["basic", "extensive"] },
        R("listen-metrics-urls", FlagKind.Urls, "", NoMetrics),

        // Logging
        R("logger", FlagKind.String, "capnslog", "zap logging is not built yet; logs are in capnslog format") with { Allowed = ["capnslog", "zap"] },
        S("log-outputs", FlagKind.List, "default") with { Refuse = CapnslogOutputs },
        S("log-level", FlagKind.String, "info") with { Allowed = ["debug", "info", "warn", "error", "panic", "fatal"] },

        // v2 proxy
        R("proxy", FlagKind.String, "off", NoV2) with { Allowed = ["off", "readonly", "on"] },
        R("proxy-failure-wait", FlagKind.UInt, "5000", NoV2),
        R("proxy-refresh-interval", FlagKind.UInt, "30000", NoV2),
        R("proxy-dial-timeout", FlagKind.UInt, "1000", NoV2),
        R("proxy-write-timeout", FlagKind.UInt, "5000", NoV2),
        R("proxy-read-timeout", FlagKind.UInt, "0", NoV2),

        // Experimental
        S("experimental-initial-corrupt-check", FlagKind.Bool, "false"),
        S("experimental-corrupt-check-time", FlagKind.Duration, "0s"),
        R("experimental-enable-v2v3", FlagKind.String, "", NoV2),
        N("experimental-backend-bbolt-freelist-type", FlagKind.String, "array", "there is no bbolt; the backend is SQLite")
            with { Allowed = ["array", "map"] },
        // Deliberately not etcd's "false": checkpointing is on by default (docs/design.md, Lease).
        S("experimental-enable-lease-checkpoint", FlagKind.Bool, "true"),
        S("experimental-compaction-batch-limit", FlagKind.Int, "1000"),
        S("experimental-peer-skip-client-san-verification", FlagKind.Bool, "false"),
        S("experimental-watch-progress-notify-interval", FlagKind.Duration, "10m"),
        R("experimental-warning-apply-duration", FlagKind.Duration, "100ms", "slow-apply warnings are not built yet"),

        // Unsafe
        R("force-new-cluster", FlagKind.Bool, "false", "--force-new-cluster is not built yet"),

        // To be deprecated (etcd: --debug means --log-level=debug)
        S("debug", FlagKind.Bool, "false"),
        N("log-package-levels", FlagKind.String, "", "per-package log levels do not exist here; use --log-level"),
    ];

    private static readonly Dictionary<string, FlagSpec> ByName = All.ToDictionary(f => f.Name);

    public static FlagSpec? Find(string name) => ByName.GetValueOrDefault(name);

    private static FlagSpec S(string name, FlagKind kind, string def) => new(name, kind, def, Supported);

    private static FlagSpec N(string name, FlagKind kind, string def, string why) => new(name, kind, def, NoEffect, why);

    private static FlagSpec R(string name, FlagKind kind, string def, string why) => new(name, kind, def, Refused, why);

    /// <summary>Peer URLs: http and https are served (https through Akka.Remote's TLS, PeerTlsOptions); unix sockets are not.</summary>
    private static string? NoUnixPeerUrls(object value)
    {
        foreach (var url in (string[])value)
        {
            if (url.StartsWith("unix://", StringComparison.Ordinal) || url.StartsWith("unixs://", StringComparison.Ordinal))
                return $"unix socket URLs are not built yet ({url})";
        }
        return null;
    }

    /// <summary>Client URLs: http and https are served (Hosting/ClientListeners, Tls/); unix sockets are not.</summary>
    private static string? NoUnixUrls(object value)
    {
        foreach (var url in (string[])value)
        {
            if (url.StartsWith("unix://", StringComparison.Ordinal) || url.StartsWith("unixs://", StringComparison.Ordinal))
                return $"unix socket URLs are not built yet ({url})";
        }
        return null;
    }

    /// <summary>Akka.Remote binds one endpoint per member, so one peer URL is listened on.</summary>
    private static string? OnePeerUrl(object value)
    {
        if (NoUnixPeerUrls(value) is { } reason) return reason;
        return ((string[])value).Length > 1 ? "one peer URL per member is supported (Akka.Remote binds one endpoint)" : null;
    }

    /// <summary>The peer URLs inside --initial-cluster, like any other peer URL.</summary>
    private static string? InitialClusterUrls(object value) => NoUnixPeerUrls(InitialClusterUrlList((string)value));

    /// <summary>The URLs of "name=url,name=url" (a part without '=' counts as a URL, for the checks' sake).</summary>
    public static string[] InitialClusterUrlList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => m.Contains('=') ? m[(m.IndexOf('=') + 1)..] : m).ToArray();

    /// <summary>etcd 3.4 with capnslog writes to one of default (stderr), stderr or stdout.</summary>
    private static string? CapnslogOutputs(object value)
    {
        var outputs = (string[])value;
        if (outputs.Length > 1) return "multi logoutput for \"capnslog\" is not supported yet";
        if (outputs.Length == 1 && outputs[0] is not ("default" or "stderr" or "stdout"))
            return $"unknown log-output \"{outputs[0]}\" (only supports \"default\", \"stderr\", \"stdout\")";
        return null;
    }
}
