namespace Etcd.Benchmark;

/// <summary>
/// Summary statistics over successful-request latencies, in milliseconds. Pure: built from an
/// array of latencies, no clocks or I/O.
/// </summary>
public sealed class LatencyStats
{
    /// <summary>The percentiles etcd's benchmark reports.</summary>
    public static readonly double[] ReportedPercentiles = [10, 25, 50, 75, 90, 95, 99, 99.9];

    public const int HistogramBuckets = 10;

    /// <summary>Sorted ascending.</summary>
    public double[] SortedMs { get; }
    public int Count => SortedMs.Length;
    public double FastestMs { get; }
    public double SlowestMs { get; }
    public double AverageMs { get; }
    /// <summary>Population standard deviation (as etcd's report computes it).</summary>
    public double StddevMs { get; }

    private LatencyStats(double[] sorted)
    {
        SortedMs = sorted;
        if (sorted.Length == 0)
        {
            return;
        }
        FastestMs = sorted[0];
        SlowestMs = sorted[^1];
        double sum = 0;
        foreach (var v in sorted)
        {
            sum += v;
        }
        AverageMs = sum / sorted.Length;
        double sq = 0;
        foreach (var v in sorted)
        {
            double d = v - AverageMs;
            sq += d * d;
        }
        StddevMs = Math.Sqrt(sq / sorted.Length);
    }

    /// <summary>Copies and sorts <paramref name="latenciesMs"/>.</summary>
    public static LatencyStats FromMilliseconds(ReadOnlySpan<double> latenciesMs)
    {
        var sorted = latenciesMs.ToArray();
        Array.Sort(sorted);
        return new LatencyStats(sorted);
    }

    /// <summary>Converts Stopwatch tick durations to milliseconds, then as <see cref="FromMilliseconds"/>.</summary>
    public static LatencyStats FromTicks(ReadOnlySpan<long> ticks, long ticksPerSecond)
    {
        var ms = new double[ticks.Length];
        double scale = 1000.0 / ticksPerSecond;
        for (int i = 0; i < ticks.Length; i++)
        {
            ms[i] = ticks[i] * scale;
        }
        Array.Sort(ms);
        return new LatencyStats(ms);
    }

    /// <summary>
    /// Nearest-rank percentile: the smallest sample with at least p% of samples at or below it,
    /// i.e. sorted[ceil(p/100 * n) - 1]. p=0 gives the fastest, p=100 the slowest; NaN when empty.
    /// </summary>
    public double Percentile(double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 100);
        if (Count == 0)
        {
            return double.NaN;
        }
        // Round away float noise (99.9/100*1000 = 999.0000000000001) before the ceiling.
        double rank = Math.Round(p / 100.0 * Count, 9);
        int idx = (int)Math.Ceiling(rank) - 1;
        return SortedMs[Math.Clamp(idx, 0, Count - 1)];
    }

    /// <summary>
    /// etcd's histogram: bucket marks fastest + i*(slowest-fastest)/10 for i in 0..9 plus slowest;
    /// each latency is counted in the first mark it does not exceed.
    /// </summary>
    public (double UpperMs, int Count)[] Histogram()
    {
        if (Count == 0)
        {
            return [];
        }
        var marks = new double[HistogramBuckets + 1];
        double width = (SlowestMs - FastestMs) / HistogramBuckets;
        for (int i = 0; i < HistogramBuckets; i++)
        {
            marks[i] = FastestMs + width * i;
        }
        marks[HistogramBuckets] = SlowestMs;

        var counts = new int[marks.Length];
        int b = 0;
        foreach (var v in SortedMs)
        {
            while (v > marks[b] && b < marks.Length - 1)
            {
                b++;
            }
            counts[b]++;
        }
        var result = new (double, int)[marks.Length];
        for (int i = 0; i < marks.Length; i++)
        {
            result[i] = (marks[i], counts[i]);
        }
        return result;
    }
}
