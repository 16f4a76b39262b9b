using System.Diagnostics;
using System.Globalization;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Benchmark;

/// <summary>
/// The watch command: --watchers prefix watchers over --streams streams, all confirmed before the clock
/// starts; then --clients workers put --total distinct keys (prefix + 8-digit index) under the prefix at
/// full rate over --conns; then up to --drain-timeout seconds (within --max-seconds) for every watcher to
/// have every event. Exit 1 on any put error, stream error, or check failure (gap, duplicate, reorder).
/// </summary>
public static class WatchBench
{
    public static async Task<int> RunAsync(BenchOptions o, Runner runner, int seed)
    {
        var rng = new Random(seed);
        var value = new byte[o.ValSize];
        rng.NextBytes(value);
        var requests = new PutRequest[o.Total];
        for (int i = 0; i < o.Total; i++)
        {
            requests[i] = new PutRequest
            {
                Key = ByteString.CopyFromUtf8(o.WatchPrefix + i.ToString("D8", CultureInfo.InvariantCulture)),
                Value = UnsafeByteOperations.UnsafeWrap(value),
            };
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(o.MaxSeconds));
        var watchers = Enumerable.Repeat(WatchStreams.PrefixWatch(o.WatchPrefix), o.Watchers).ToList();
        var (streams, openError) = await WatchStreams.OpenAsync(o, watchers, o.Streams, o.Total, CreateTimeout(o)).ConfigureAwait(false);
        if (streams is null)
        {
            Console.Error.WriteLine($"error: {openError}");
            Console.WriteLine($"RESULT op=watch watchers={o.Watchers} {Report.ErrorField(openError ?? "?")}");
            return 1;
        }

        WatchPuts puts;
        bool drained;
        double? cpu0, cpu1;
        await using (streams.ConfigureAwait(false))
        {
            if (!await ReadyHandshakeAsync(o, o.Watchers, deadline.Token).ConfigureAwait(false))
            {
                Console.WriteLine($"RESULT op=watch watchers={o.Watchers} {Report.ErrorField($"--ready-file {o.ReadyFile} was not deleted within --max-seconds")}");
                return 1;
            }
            if (await WarmUpAsync(o, runner, streams, value, deadline.Token).ConfigureAwait(false) is { } warmError)
            {
                Console.Error.WriteLine($"error: {warmError}");
                Console.WriteLine($"RESULT op=watch watchers={o.Watchers} {Report.ErrorField(warmError)}");
                return 1;
            }
            cpu0 = ServerCpu.ReadSeconds(o.ServerPids);
            puts = await runner.RunWatchPutsAsync(requests, deadline.Token).ConfigureAwait(false);
            long target = (long)puts.Ok.Count(x => x) * o.Watchers;
            drained = await DrainAsync(streams, target, o, deadline.Token).ConfigureAwait(false);
            cpu1 = ServerCpu.ReadSeconds(o.ServerPids);
        }
        // Disposed: the readers have ended, the logs are final.
        var a = WatchAnalysis.Analyze(puts, streams.Logs, Stopwatch.Frequency);
        if (o.DelayDump is { } dumpPath)
        {
            WatchDelayDump.Write(dumpPath, puts, streams.Logs, o);
        }
        var putErrors = runner.DistinctErrors();
        // Per put (each delivered to every watcher): from the first put to the last event read.
        Console.WriteLine(Report.FormatWatch(a, o, putErrors, streams.Errors, puts.TimedOut, drained) +
            ServerCpu.Fields(cpu0, cpu1, puts.Ok.Count(x => x)));
        bool ok = putErrors.Count == 0 && streams.Errors.Count == 0 && a.CheckErrors == 0 && !puts.TimedOut && drained;
        return ok ? 0 : 1;
    }

    /// <summary>
    /// --ready-file: every watcher is created; writes the file (its content says how many) and waits until it is
    /// deleted, polling every 20 ms, so a script can measure the server with the watchers registered and then let
    /// the load start. False when <paramref name="ct"/> (--max-seconds) ends the wait first. Nothing without the flag.
    /// </summary>
    public static async Task<bool> ReadyHandshakeAsync(BenchOptions o, int watchers, CancellationToken ct)
    {
        if (o.ReadyFile is not { } path)
        {
            return true;
        }
        await File.WriteAllTextAsync(path, $"{watchers} watchers created\n", ct).ConfigureAwait(false);
        Console.Error.WriteLine($"# {watchers} watchers created; waiting until {path} is deleted");
        while (File.Exists(path))
        {
            try
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// --warmup-puts: that many untimed puts (keys prefix + "w" + 8 digits, never a measured key) at full rate, then
    /// waits (--drain-timeout) until every watcher has all their events; those are counted apart and never logged, so
    /// the check and the figures see the measured puts only. Null when done, else why it failed.
    /// </summary>
    private static async Task<string?> WarmUpAsync(BenchOptions o, Runner runner, WatchStreams streams, byte[] value, CancellationToken ct)
    {
        int n = Math.Min(o.WarmUpPuts, o.Total);
        if (n == 0)
        {
            return null;
        }
        var requests = new PutRequest[n];
        for (int i = 0; i < n; i++)
        {
            requests[i] = new PutRequest
            {
                Key = ByteString.CopyFromUtf8(o.WatchPrefix + "w" + i.ToString("D8", CultureInfo.InvariantCulture)),
                Value = UnsafeByteOperations.UnsafeWrap(value),
            };
        }
        streams.BeginWarmUp();
        var warm = await runner.RunWatchPutsAsync(requests, ct).ConfigureAwait(false);
        long last = 0, ok = 0;
        for (int i = 0; i < n; i++)
        {
            if (warm.Ok[i])
            {
                ok++;
                last = Math.Max(last, warm.Revisions[i]);
            }
        }
        // Every warm-up put has answered, so every later event is above `last`.
        streams.EndWarmUp(last);
        if (warm.TimedOut || ok < n)
        {
            return $"warm-up: {ok} of {n} puts succeeded";
        }
        long target = ok * o.Watchers;
        long until = Stopwatch.GetTimestamp() + (long)(o.DrainSeconds * Stopwatch.Frequency);
        while (streams.WarmDelivered < target && Stopwatch.GetTimestamp() < until && !ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return streams.WarmDelivered >= target ? null : $"warm-up: {streams.WarmDelivered} of {target} events arrived within --drain-timeout";
    }

    /// <summary>Registering many watchers is set-up, not measured, but must not hang: 10 s plus 1 s per 1000 watchers.</summary>
    public static TimeSpan CreateTimeout(BenchOptions o) =>
        TimeSpan.FromSeconds(Math.Max(o.DialTimeoutSeconds, 10) + o.Watchers / 1000.0 + o.IdleWatchers / 1000.0);

    /// <summary>Waits until <paramref name="target"/> events arrived, at most --drain-timeout and within --max-seconds.</summary>
    private static async Task<bool> DrainAsync(WatchStreams streams, long target, BenchOptions o, CancellationToken ct)
    {
        long until = Stopwatch.GetTimestamp() + (long)(o.DrainSeconds * Stopwatch.Frequency);
        // Polling a counter: the figures come from the readers' own receipt ticks, so the 2 ms step only
        // decides when we notice the end, not what is measured.
        while (streams.Delivered < target && Stopwatch.GetTimestamp() < until && !ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return streams.Delivered >= target;
    }

    /// <summary>
    /// put --idle-watchers: K single-key watchers on <c>\0bench-idle/NNNNNNNN</c>, keys the put load never
    /// writes (its keys are varints padded to --key-size, never this long and never this prefix).
    /// </summary>
    public static Task<(WatchStreams? Streams, string? Error)> OpenIdleAsync(BenchOptions o)
    {
        var watchers = new WatchCreateRequest[o.IdleWatchers];
        for (int i = 0; i < watchers.Length; i++)
        {
            watchers[i] = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("\0bench-idle/" + i.ToString("D8", CultureInfo.InvariantCulture)) };
        }
        // Capacity 0: an idle watcher should receive nothing; anything it does is counted as overflow.
        return WatchStreams.OpenAsync(o, watchers, o.Streams, 0, CreateTimeout(o));
    }
}
