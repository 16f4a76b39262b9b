namespace Etcd.Benchmark;

/// <summary>
/// Pure figures of a watch run from the puts (send/answer ticks and revisions) and what each watcher
/// received. Delivery delay is measured from each put's <b>send</b>: it is what a writer waits until
/// every watcher has its event, and it is always positive. From the put's answer it would not be:
/// a server notifies watchers when it applies the write, which is also when it answers the put, so
/// under load a watcher often reads the event before the writer reads its answer (the share is reported
/// as <see cref="BeforeAckFraction"/>, with the delay after the answer as a second, signed distribution).
/// That second figure is the one etcd's own <c>benchmark watch-latency</c> reports (its
/// tools/benchmark/cmd/watch_latency.go starts the clock when Put returns, one put at a time at
/// --put-rate, and an event already waiting counts as ~0); the first adds the write's own commit time,
/// so it bounds what a writer can observe and is the one the p99 target is checked against.
/// </summary>
public sealed record WatchAnalysis
{
    public required int Watchers { get; init; }
    public required long PutsOk { get; init; }
    public required double PutSeconds { get; init; }
    public required LatencyStats PutLatencies { get; init; }
    public required long Expected { get; init; }
    public required long Delivered { get; init; }
    /// <summary>From the first put sent to the last event received.</summary>
    public required double DeliverySeconds { get; init; }
    public required LatencyStats DelayFromSend { get; init; }
    public required LatencyStats DelayFromAck { get; init; }
    public required double BeforeAckFraction { get; init; }
    public required long Missing { get; init; }
    public required long Duplicates { get; init; }
    public required long OutOfOrder { get; init; }
    public required long Unexpected { get; init; }
    public required int WatchersWithProblems { get; init; }
    /// <summary>Up to five "watcher N: ..." descriptions of the first problem seen on a watcher.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    public double PutsPerSecond => PutSeconds > 0 ? PutsOk / PutSeconds : 0;
    public double EventsPerSecond => DeliverySeconds > 0 ? Delivered / DeliverySeconds : 0;
    public long CheckErrors => Missing + Duplicates + OutOfOrder + Unexpected;

    public static WatchAnalysis Analyze(WatchPuts puts, IReadOnlyList<WatcherLog> logs, long ticksPerSecond)
    {
        int n = puts.Revisions.Length;
        var revToPut = new Dictionary<long, int>(n);
        var putTicks = new List<long>(n);
        for (int i = 0; i < n; i++)
        {
            if (puts.Ok[i])
            {
                revToPut[puts.Revisions[i]] = i;
                putTicks.Add(puts.AckTicks[i] - puts.SendTicks[i]);
            }
        }
        var expected = revToPut.Keys.ToArray();
        Array.Sort(expected);

        long delivered = 0, missing = 0, dup = 0, ooo = 0, unexpected = 0, lastTick = puts.StartTick;
        int bad = 0;
        var problems = new List<string>();
        foreach (var log in logs)
        {
            delivered += log.Count + log.Overflow;
        }
        var fromSend = new long[delivered];
        var fromAckMs = new double[delivered];
        long k = 0, beforeAck = 0;
        double msPerTick = 1000.0 / ticksPerSecond;
        for (int w = 0; w < logs.Count; w++)
        {
            var log = logs[w];
            var c = WatchCheck.Check(expected, log.Revisions.AsSpan(0, log.Count));
            missing += c.Missing;
            dup += c.Duplicates;
            ooo += c.OutOfOrder;
            unexpected += c.Unexpected + log.Overflow;
            string? first = c.FirstProblem ?? (log.Overflow > 0 ? $"{log.Overflow} events more than puts were made" : null);
            if (log.Canceled is not null)
            {
                first = log.Canceled + (first is null ? "" : "; " + first);
            }
            if (first is not null || !c.Ok || log.Overflow > 0)
            {
                bad++;
                if (problems.Count < 5)
                {
                    problems.Add($"watcher {w}: {first}");
                }
            }
            for (int e = 0; e < log.Count; e++)
            {
                long tick = log.ReceivedTicks[e];
                lastTick = Math.Max(lastTick, tick);
                if (revToPut.TryGetValue(log.Revisions[e], out int p))
                {
                    fromSend[k] = tick - puts.SendTicks[p];
                    long afterAck = tick - puts.AckTicks[p];
                    fromAckMs[k] = afterAck * msPerTick;
                    beforeAck += afterAck < 0 ? 1 : 0;
                    k++;
                }
            }
        }

        return new WatchAnalysis
        {
            Watchers = logs.Count,
            PutsOk = revToPut.Count,
            PutSeconds = (puts.EndTick - puts.StartTick) / (double)ticksPerSecond,
            PutLatencies = LatencyStats.FromTicks(putTicks.ToArray(), ticksPerSecond),
            Expected = (long)expected.Length * logs.Count,
            Delivered = delivered,
            DeliverySeconds = (lastTick - puts.StartTick) / (double)ticksPerSecond,
            DelayFromSend = LatencyStats.FromTicks(fromSend.AsSpan(0, (int)k), ticksPerSecond),
            DelayFromAck = LatencyStats.FromMilliseconds(fromAckMs.AsSpan(0, (int)k)),
            BeforeAckFraction = k > 0 ? beforeAck / (double)k : 0,
            Missing = missing,
            Duplicates = dup,
            OutOfOrder = ooo,
            Unexpected = unexpected,
            WatchersWithProblems = bad,
            Problems = problems,
        };
    }
}
