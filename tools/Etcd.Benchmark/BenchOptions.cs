namespace Etcd.Benchmark;

/// <summary>The benchmark sub-commands, named after etcd's tools/benchmark commands.</summary>
public enum BenchCommand
{
    Put,
    Range,
    TxnPut,
    /// <summary>Not in etcd's tool: puts at a fixed rate while a member is killed; measures the outage.</summary>
    Failover,
    /// <summary>Watchers on a prefix while puts write under it: delivery rate, delay, exactly-once check (etcd's tool has watch-latency).</summary>
    Watch,
    /// <summary>LeaseGrant requests (etcd's tool has lease-keepalive only).</summary>
    LeaseGrant,
    /// <summary>LeaseKeepAlive over one stream per worker, one request then its response (as etcd's lease-keepalive).</summary>
    LeaseKeepAlive,
}

/// <summary>
/// Everything one benchmark run needs. Defaults follow etcd's tools/benchmark
/// (key/val size 8, key space 1, total 10000, one connection, one client).
/// </summary>
public sealed record BenchOptions
{
    public required BenchCommand Command { get; init; }

    // Global flags.
    public IReadOnlyList<string> Endpoints { get; init; } = ["http://127.0.0.1:2379"];
    public int Conns { get; init; } = 1;
    public int Clients { get; init; } = 1;
    public int Total { get; init; } = 10000;
    public double MaxSeconds { get; init; } = 120;
    public double DialTimeoutSeconds { get; init; } = 5;
    /// <summary>Seed for the request generator; null means "pick one and print it".</summary>
    public int? Seed { get; init; }
    /// <summary>Server processes whose CPU time over the timed window is reported (<see cref="ServerCpu"/>).</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    // Client TLS (etcd's benchmark --cacert/--cert/--key): PEM files; endpoints are then https.
    /// <summary>CA bundle that verifies the server's certificate (null: the system's trust store).</summary>
    public string? CaCert { get; init; }
    /// <summary>Client certificate and its key, presented to a server that asks for one.</summary>
    public string? Cert { get; init; }
    public string? Key { get; init; }

    /// <summary>--user name:password: each connection authenticates once and sends its token (<see cref="TokenInterceptor"/>).</summary>
    public string? User { get; init; }
    public string? Password { get; init; }

    public bool Tls => CaCert is not null || Cert is not null;

    // put / txn-put.
    public int KeySize { get; init; } = 8;
    public int ValSize { get; init; } = 8;
    public int KeySpaceSize { get; init; } = 1;
    public bool SequentialKeys { get; init; }
    /// <summary>put only (not in etcd's tool): bytes put before every key, e.g. the prefix a --user may write.</summary>
    public string KeyPrefix { get; init; } = "";
    public int TxnOps { get; init; } = 1;

    // range.
    public string RangeKey { get; init; } = "";
    public string? RangeEnd { get; init; }
    /// <summary>"l" (linearizable) or "s" (serializable).</summary>
    public string Consistency { get; init; } = "l";
    /// <summary>
    /// Not in etcd's tool: "none" (a Range), "op" (a read-only Txn with the range as its op) or "compare" (a Txn with
    /// one value compare over the range and no ops): what a txn's reads of many keys cost.
    /// </summary>
    public string RangeTxn { get; init; } = "none";

    // failover (open loop: --clients bounds the requests in flight, see FailoverAnalysis).
    /// <summary>Puts scheduled per second, whatever the answers.</summary>
    public double Rate { get; init; } = 200;
    /// <summary>Process to SIGKILL during the run; null means "no kill, just report the gaps".</summary>
    public int? KillPid { get; init; }
    public double KillAfterSeconds { get; init; } = 2;
    /// <summary>gRPC deadline of each put, so a lost proposal does not hold a slot for etcd's 7 s.</summary>
    public double RequestTimeoutSeconds { get; init; } = 1;
    public double SteadyWindowSeconds { get; init; } = 1;
    public double SteadyFraction { get; init; } = 0.8;

    // watch (and put --idle-watchers): watchers spread round-robin over --streams streams, each stream
    // on a connection of its own (the puts keep the --conns connections to themselves).
    public int Watchers { get; init; } = 100;
    public int Streams { get; init; } = 10;
    public string WatchPrefix { get; init; } = "bench-watch/";
    /// <summary>How long to wait, after the last put answered, for every watcher to have every event.</summary>
    public double DrainSeconds { get; init; } = 10;
    /// <summary>put only: idle watchers registered (on keys nobody writes) before the load and kept during it.</summary>
    public int IdleWatchers { get; init; }
    /// <summary>
    /// watch and put --idle-watchers: once every watcher is created, this file is written and the load waits until
    /// it is deleted (a handshake for scripts that measure the server with the watchers registered).
    /// </summary>
    public string? ReadyFile { get; init; }
    /// <summary>watch: a CSV of every (watcher, event) pair (see <see cref="WatchDelayDump"/>), for finding where a tail comes from.</summary>
    public string? DelayDump { get; init; }
    /// <summary>
    /// watch: untimed puts under the prefix before the clock starts (at most --total), their events awaited and not
    /// counted. A new stream's HTTP/2 receive window starts at 64 KB and grows only once data flows (SocketsHttpHandler's
    /// dynamic window sizing), so without it the first ~100 puts' events wait for WINDOW_UPDATEs: +100 to +300 ms
    /// after the put's answer, enough to set the p99 of a short run (docs/benchmarks.md, "Watch and lease").
    /// </summary>
    public int WarmUpPuts { get; init; } = 1000;

    // lease-grant / lease-keepalive.
    public long Ttl { get; init; } = 60;
    /// <summary>lease-keepalive: leases granted before the clock starts; request i keeps lease i mod Leases alive.</summary>
    public int Leases { get; init; } = 1000;

    public string OpName => Command switch
    {
        BenchCommand.Put => "put",
        BenchCommand.Range => "range",
        BenchCommand.TxnPut => "txn-put",
        BenchCommand.Failover => "failover",
        BenchCommand.Watch => "watch",
        BenchCommand.LeaseGrant => "lease-grant",
        BenchCommand.LeaseKeepAlive => "lease-keepalive",
        _ => throw new ArgumentOutOfRangeException(nameof(Command)),
    };
}
