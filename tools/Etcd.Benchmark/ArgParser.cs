using System.Globalization;

namespace Etcd.Benchmark;

/// <summary>Outcome of parsing the command line: options, a usage error, or a help request.</summary>
public sealed record ParseResult(BenchOptions? Options, string? Error, bool HelpRequested)
{
    public static ParseResult Ok(BenchOptions o) => new(o, null, false);
    public static ParseResult Fail(string error) => new(null, error, false);
    public static ParseResult Help() => new(null, null, true);
}

/// <summary>
/// Pure command-line parser: <c>benchmark [global flags] &lt;command&gt; [args] [command flags]</c>.
/// Flags may appear anywhere, as <c>--flag value</c> or <c>--flag=value</c>; the boolean
/// <c>--sequential-keys</c> also accepts <c>=true</c>/<c>=false</c>. Flags that do not belong to
/// the chosen command are rejected rather than silently ignored.
/// </summary>
public static class ArgParser
{
    public const string Usage = """
        usage: Etcd.Benchmark [global flags] <command> [args] [flags]

        commands:
          put                 write keys            --key-size 8 --val-size 8 --key-space-size 1 --sequential-keys
                              --key-prefix P (not in etcd's tool: P before every key, e.g. what --user may write)
          range <key> [end]   read a key or [key, end)  --consistency l|s
                              --txn op|compare (not in etcd's tool): send it as a read-only Txn instead, the
                              range as its one op (op), or a Txn whose one compare covers the range (value > "",
                              so every key's row is read) and that has no ops (compare)
          txn-put             txns of puts on sequential keys  --key-size 8 --val-size 8 --key-space-size 1 --txn-ops 1
          failover            puts at a fixed rate (open loop, --clients = max in flight) while --kill-pid is
                              SIGKILLed; reports the time to the first and to steady successes after the kill
                              --rate 200 --kill-pid PID --kill-after 2 --request-timeout 1
                              --steady-window 1 --steady-fraction 0.8 (+ put's key/value flags)
          watch               --watchers on --watch-prefix over --streams streams (one connection each) while
                              --clients workers put --total distinct keys under the prefix over --conns; reports
                              events delivered/s, put rate, delivery delay (from each put's send) and checks
                              every watcher got every event once, in revision order
                              --watchers 100 --streams 10 --watch-prefix bench-watch/ --drain-timeout 10 --val-size 8
          lease-grant         LeaseGrant(TTL) requests; the leases granted are revoked after the report  --ttl 60
          lease-keepalive     grants --leases leases untimed, then each worker sends keep-alives on a stream of
                              its own (one request, then its response) for lease i mod --leases  --leases 1000 --ttl 60
          put --idle-watchers K   also registers K watchers on keys nobody writes (over --streams streams)
                              before the load and keeps them during it
          watch: --delay-dump PATH   write every (watcher, event) pair as CSV for a closer look at the delays
          watch: --warmup-puts N   untimed puts under the prefix first (default 1000, at most --total; 0: none), every
                              watcher's events of them awaited and not counted, so each stream's HTTP/2 receive
                              window has grown (as the put connections are warmed up) before the clock starts
          watch / put --idle-watchers: --ready-file PATH   once every watcher is created, write PATH and wait
                              (within --max-seconds) until someone deletes it before the load starts, so a
                              script can measure the server with the watchers registered

        global flags:
          --endpoints LIST    comma-separated endpoints, http://host:port (default 127.0.0.1:2379)
          --conns N           gRPC channels, each exactly one HTTP/2 connection (default 1)
          --clients N         concurrent workers, spread round-robin over the connections (default 1)
          --total N           requests to issue (default 10000)
          --max-seconds S     stop issuing and cancel in-flight requests after S seconds (default 120)
          --dial-timeout S    per-connection connect timeout before the run starts (default 5)
          --seed N            seed for keys/values (default: random, printed)
          --server-pids LIST  comma-separated server PIDs: their CPU time over the timed window is added to the
                              RESULT line (server_cpu_ms, server_cpu_us_per_op; from /proc/PID/stat)
          --cacert FILE       client TLS: PEM CA bundle verifying the server (endpoints without a scheme are https)
          --cert FILE --key FILE  client TLS: PEM certificate and key presented to the server
          --user NAME:PASSWORD    auth: each connection authenticates once before the clock starts and sends its
                              token as gRPC metadata "token"; on "invalid auth token" it authenticates again
                              and retries the request once
        """;

    private static readonly HashSet<string> GlobalFlags =
        ["endpoints", "conns", "clients", "total", "max-seconds", "dial-timeout", "seed", "server-pids", "cacert", "cert", "key", "user"];

    private static readonly Dictionary<BenchCommand, HashSet<string>> CommandFlags = new()
    {
        [BenchCommand.Put] = ["key-size", "val-size", "key-space-size", "sequential-keys", "idle-watchers", "streams", "ready-file", "key-prefix"],
        [BenchCommand.Range] = ["consistency", "txn"],
        [BenchCommand.TxnPut] = ["key-size", "val-size", "key-space-size", "txn-ops"],
        [BenchCommand.Failover] =
        [
            "key-size", "val-size", "key-space-size", "sequential-keys",
            "rate", "kill-pid", "kill-after", "request-timeout", "steady-window", "steady-fraction",
        ],
        [BenchCommand.Watch] = ["val-size", "watchers", "streams", "watch-prefix", "drain-timeout", "ready-file", "delay-dump", "warmup-puts"],
        [BenchCommand.LeaseGrant] = ["ttl"],
        [BenchCommand.LeaseKeepAlive] = ["ttl", "leases"],
    };

    /// <summary>
    /// Bound on watchers × puts for <c>watch</c>: every delivered event keeps its revision and receipt time
    /// (16 bytes) until the run is checked, so 20 M events is ~320 MB of client memory.
    /// </summary>
    public const long MaxWatchEvents = 20_000_000;

    private static readonly HashSet<string> BoolFlags = ["sequential-keys"];

    private const string Commands = "put, range, txn-put, failover, watch, lease-grant, lease-keepalive";

    public static ParseResult Parse(IReadOnlyList<string> args)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();

        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help" or "help")
            {
                return ParseResult.Help();
            }
            if (a == "--")
            {
                positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                positional.Add(a);
                continue;
            }

            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (!GlobalFlags.Contains(name) && !CommandFlags.Values.Any(s => s.Contains(name)))
            {
                return ParseResult.Fail($"unknown flag --{name}");
            }
            if (value is null)
            {
                if (BoolFlags.Contains(name))
                {
                    value = "true";
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    return ParseResult.Fail($"flag --{name} needs a value");
                }
            }
            if (!flags.TryAdd(name, value))
            {
                return ParseResult.Fail($"flag --{name} given more than once");
            }
        }

        if (positional.Count == 0)
        {
            return ParseResult.Fail($"missing command ({Commands})");
        }

        BenchCommand command;
        switch (positional[0])
        {
            case "put": command = BenchCommand.Put; break;
            case "range": command = BenchCommand.Range; break;
            case "txn-put": command = BenchCommand.TxnPut; break;
            case "failover": command = BenchCommand.Failover; break;
            case "watch": command = BenchCommand.Watch; break;
            case "lease-grant": command = BenchCommand.LeaseGrant; break;
            case "lease-keepalive": command = BenchCommand.LeaseKeepAlive; break;
            default: return ParseResult.Fail($"unknown command '{positional[0]}' ({Commands})");
        }
        var rest = positional.Skip(1).ToList();

        foreach (var name in flags.Keys)
        {
            if (!GlobalFlags.Contains(name) && !CommandFlags[command].Contains(name))
            {
                return ParseResult.Fail($"flag --{name} does not apply to '{positional[0]}'");
            }
        }

        var o = new BenchOptions { Command = command };
        try
        {
            bool tls = flags.ContainsKey("cacert") || flags.ContainsKey("cert");
            o = o with
            {
                CaCert = flags.GetValueOrDefault("cacert"),
                Cert = flags.GetValueOrDefault("cert"),
                Key = flags.GetValueOrDefault("key"),
            };
            if (flags.ContainsKey("cert") != flags.ContainsKey("key"))
            {
                return ParseResult.Fail("--cert and --key go together");
            }
            if (flags.TryGetValue("user", out var user))
            {
                int colon = user.IndexOf(':');
                if (colon <= 0)
                {
                    return ParseResult.Fail("--user wants NAME:PASSWORD");
                }
                o = o with { User = user[..colon], Password = user[(colon + 1)..] };
            }
            o = o with { Endpoints = ParseEndpoints(flags.GetValueOrDefault("endpoints", "127.0.0.1:2379"), tls ? "https" : "http") };
            if (tls && o.Endpoints.Any(e => e.StartsWith("http:", StringComparison.Ordinal)))
            {
                return ParseResult.Fail("--cacert/--cert need https endpoints");
            }
            if (flags.TryGetValue("server-pids", out var pids))
            {
                o = o with { ServerPids = ParsePids(pids) };
            }
            o = o with
            {
                Conns = PositiveInt(flags, "conns", o.Conns),
                Clients = PositiveInt(flags, "clients", o.Clients),
                Total = PositiveInt(flags, "total", o.Total),
                MaxSeconds = PositiveDouble(flags, "max-seconds", o.MaxSeconds),
                DialTimeoutSeconds = PositiveDouble(flags, "dial-timeout", o.DialTimeoutSeconds),
                Seed = flags.TryGetValue("seed", out var seed) ? Int(seed, "seed") : null,
                KeySize = PositiveInt(flags, "key-size", o.KeySize),
                ValSize = NonNegativeInt(flags, "val-size", o.ValSize),
                KeySpaceSize = PositiveInt(flags, "key-space-size", o.KeySpaceSize),
                SequentialKeys = flags.TryGetValue("sequential-keys", out var sk) && Bool(sk, "sequential-keys"),
                KeyPrefix = flags.GetValueOrDefault("key-prefix", ""),
                TxnOps = PositiveInt(flags, "txn-ops", o.TxnOps),
                Rate = PositiveDouble(flags, "rate", o.Rate),
                KillPid = flags.ContainsKey("kill-pid") ? PositiveInt(flags, "kill-pid", 0) : null,
                KillAfterSeconds = PositiveDouble(flags, "kill-after", o.KillAfterSeconds),
                RequestTimeoutSeconds = PositiveDouble(flags, "request-timeout", o.RequestTimeoutSeconds),
                SteadyWindowSeconds = PositiveDouble(flags, "steady-window", o.SteadyWindowSeconds),
                SteadyFraction = PositiveDouble(flags, "steady-fraction", o.SteadyFraction),
                Watchers = PositiveInt(flags, "watchers", o.Watchers),
                Streams = PositiveInt(flags, "streams", o.Streams),
                WatchPrefix = flags.GetValueOrDefault("watch-prefix", o.WatchPrefix),
                DrainSeconds = PositiveDouble(flags, "drain-timeout", o.DrainSeconds),
                IdleWatchers = NonNegativeInt(flags, "idle-watchers", o.IdleWatchers),
                ReadyFile = flags.TryGetValue("ready-file", out var rf) && rf.Length > 0 ? rf : null,
                DelayDump = flags.TryGetValue("delay-dump", out var dd) && dd.Length > 0 ? dd : null,
                WarmUpPuts = NonNegativeInt(flags, "warmup-puts", o.WarmUpPuts),
                Ttl = PositiveInt(flags, "ttl", (int)o.Ttl),
                Leases = PositiveInt(flags, "leases", o.Leases),
            };
        }
        catch (FormatException e)
        {
            return ParseResult.Fail(e.Message);
        }

        if (command == BenchCommand.Range)
        {
            if (rest.Count is < 1 or > 2)
            {
                return ParseResult.Fail("range needs <key> [end]");
            }
            string consistency = flags.GetValueOrDefault("consistency", "l");
            if (consistency is not ("l" or "s"))
            {
                return ParseResult.Fail($"--consistency must be l or s, got '{consistency}'");
            }
            string txn = flags.GetValueOrDefault("txn", "none");
            if (txn is not ("none" or "op" or "compare"))
            {
                return ParseResult.Fail($"--txn must be none, op or compare, got '{txn}'");
            }
            o = o with { RangeKey = rest[0], RangeEnd = rest.Count == 2 ? rest[1] : null, Consistency = consistency, RangeTxn = txn };
        }
        else if (rest.Count > 0)
        {
            return ParseResult.Fail($"'{positional[0]}' takes no arguments, got '{string.Join(' ', rest)}'");
        }

        if (command == BenchCommand.Failover && FailoverError(o, flags) is { } failoverError)
        {
            return ParseResult.Fail(failoverError);
        }

        if (command == BenchCommand.Watch)
        {
            if (o.WatchPrefix.Length == 0)
            {
                return ParseResult.Fail("--watch-prefix must not be empty (an empty prefix would watch every key)");
            }
            if ((long)o.Watchers * o.Total > MaxWatchEvents)
            {
                return ParseResult.Fail(
                    $"--watchers {o.Watchers} x --total {o.Total} events is more than the {MaxWatchEvents} this tool records");
            }
        }
        if (command == BenchCommand.Put && flags.ContainsKey("streams") && o.IdleWatchers == 0)
        {
            return ParseResult.Fail("--streams applies to put only with --idle-watchers");
        }
        if (command == BenchCommand.Put && flags.ContainsKey("ready-file") && o.IdleWatchers == 0)
        {
            return ParseResult.Fail("--ready-file applies to put only with --idle-watchers");
        }
        if (flags.TryGetValue("ready-file", out var readyFile) && readyFile.Length == 0)
        {
            return ParseResult.Fail("--ready-file needs a path");
        }

        if (command is BenchCommand.Put or BenchCommand.TxnPut or BenchCommand.Failover)
        {
            // Keys are the zig-zag varint of an index in [0, key-space-size), padded to key-size.
            int needed = KeyGen.VarintLength(o.KeySpaceSize - 1);
            if (o.KeySize < needed)
            {
                return ParseResult.Fail(
                    $"--key-size {o.KeySize} is too small for --key-space-size {o.KeySpaceSize} (needs {needed} bytes)");
            }
        }
        return ParseResult.Ok(o);
    }

    /// <summary>Flag combinations of <c>failover</c> that would measure nothing.</summary>
    private static string? FailoverError(BenchOptions o, Dictionary<string, string> flags)
    {
        if (o.SteadyFraction > 1)
        {
            return $"--steady-fraction must be in (0, 1], got {o.SteadyFraction.ToString(CultureInfo.InvariantCulture)}";
        }
        if (o.KillPid is null)
        {
            return flags.ContainsKey("kill-after") ? "--kill-after needs --kill-pid" : null;
        }
        double scheduledSeconds = o.Total / o.Rate;
        double lastPossible = Math.Min(scheduledSeconds, o.MaxSeconds);
        if (o.KillAfterSeconds >= lastPossible)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"--kill-after {o.KillAfterSeconds} is not before the end of the run ({lastPossible:F1}s: --total/--rate or --max-seconds)");
        }
        return null;
    }

    /// <summary>--server-pids: positive process ids, comma-separated.</summary>
    public static IReadOnlyList<int> ParsePids(string list)
    {
        var pids = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int v = Int(part, "server-pids");
            pids.Add(v > 0 ? v : throw new FormatException($"--server-pids needs positive process ids, got {v}"));
        }
        return pids.Count > 0 ? pids : throw new FormatException("--server-pids needs at least one process id");
    }

    /// <summary>"a:1,http://b:2" to absolute URIs; a missing scheme means <paramref name="defaultScheme"/> (http: h2c).</summary>
    public static IReadOnlyList<string> ParseEndpoints(string list, string defaultScheme = "http")
    {
        var result = new List<string>();
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string e = raw.Contains("://", StringComparison.Ordinal) ? raw : defaultScheme + "://" + raw;
            if (!Uri.TryCreate(e, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new FormatException($"bad endpoint '{raw}' (want http://host:port or https://host:port)");
            }
            result.Add(uri.GetLeftPart(UriPartial.Authority));
        }
        if (result.Count == 0)
        {
            throw new FormatException("--endpoints is empty");
        }
        return result;
    }

    private static int Int(string s, string name) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new FormatException($"--{name}: '{s}' is not an integer");

    private static int PositiveInt(Dictionary<string, string> flags, string name, int dflt)
    {
        if (!flags.TryGetValue(name, out var s))
        {
            return dflt;
        }
        int v = Int(s, name);
        return v > 0 ? v : throw new FormatException($"--{name} must be > 0, got {v}");
    }

    private static int NonNegativeInt(Dictionary<string, string> flags, string name, int dflt)
    {
        if (!flags.TryGetValue(name, out var s))
        {
            return dflt;
        }
        int v = Int(s, name);
        return v >= 0 ? v : throw new FormatException($"--{name} must be >= 0, got {v}");
    }

    private static double PositiveDouble(Dictionary<string, string> flags, string name, double dflt)
    {
        if (!flags.TryGetValue(name, out var s))
        {
            return dflt;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)
            ? v
            : throw new FormatException($"--{name} must be a positive number, got '{s}'");
    }

    private static bool Bool(string s, string name) => s switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new FormatException($"--{name}: '{s}' is not true/false"),
    };
}
