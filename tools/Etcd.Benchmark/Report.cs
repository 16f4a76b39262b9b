using System.Globalization;
using System.Text;

namespace Etcd.Benchmark;

/// <summary>What a run produced: latencies of successful requests plus error tallies.</summary>
public sealed record RunResult(
    string Op,
    int Requested,
    LatencyStats Latencies,
    long Errors,
    IReadOnlyList<(string Message, long Count)> DistinctErrors,
    double ElapsedSeconds,
    bool TimedOut,
    string ServerCpuFields = "")
{
    public long Ok => Latencies.Count;
    public long Completed => Ok + Errors;
    /// <summary>Successful requests per second of wall time, as etcd's report computes Requests/sec.</summary>
    public double OpsPerSecond => ElapsedSeconds > 0 ? Ok / ElapsedSeconds : 0;
}

/// <summary>Text rendering in the layout of etcd's benchmark report (latencies in ms).</summary>
public static partial class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public const int MaxErrorsShown = 5;
    private const int BarWidth = 40;

    public static string Format(RunResult r)
    {
        var s = new StringBuilder();
        var l = r.Latencies;
        s.AppendLine();
        s.AppendLine("Summary:");
        s.AppendLine(Inv, $"  Total:\t{r.ElapsedSeconds:F4} secs.");
        if (l.Count > 0)
        {
            s.AppendLine(Inv, $"  Slowest:\t{l.SlowestMs:F4} ms.");
            s.AppendLine(Inv, $"  Fastest:\t{l.FastestMs:F4} ms.");
            s.AppendLine(Inv, $"  Average:\t{l.AverageMs:F4} ms.");
            s.AppendLine(Inv, $"  Stddev:\t{l.StddevMs:F4} ms.");
        }
        s.AppendLine(Inv, $"  Requests/sec:\t{r.OpsPerSecond:F4}");
        s.AppendLine(Inv, $"  Succeeded:\t{r.Ok} of {r.Requested} requested, {r.Errors} errors");
        if (r.TimedOut)
        {
            s.AppendLine(Inv, $"  Stopped by --max-seconds before all {r.Requested} requests completed.");
        }

        if (l.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("Response time histogram (ms):");
            var hist = l.Histogram();
            int max = hist.Max(h => h.Count);
            foreach (var (upper, count) in hist)
            {
                int bar = max > 0 ? (int)((long)count * BarWidth / max) : 0;
                s.AppendLine(Inv, $"  {upper,10:F3} [{count}]\t|{new string('∎', bar)}");
            }

            s.AppendLine();
            s.AppendLine("Latency distribution:");
            foreach (var p in LatencyStats.ReportedPercentiles)
            {
                s.AppendLine(Inv, $"  {p.ToString(Inv) + "%",5} in {l.Percentile(p):F4} ms.");
            }
        }

        if (r.DistinctErrors.Count > 0)
        {
            s.AppendLine();
            s.AppendLine(Inv, $"Error distribution (first {Math.Min(MaxErrorsShown, r.DistinctErrors.Count)} of {r.DistinctErrors.Count} distinct):");
            foreach (var (msg, count) in r.DistinctErrors.Take(MaxErrorsShown))
            {
                s.AppendLine(Inv, $"  [{count}]\t{msg}");
            }
        }
        s.AppendLine();
        s.Append(ResultLine(r));
        return s.ToString();
    }

    /// <summary>
    /// One machine-readable line. total = requests that completed (ok + errors); ops_per_sec counts
    /// only successes; percentiles are over successes and NaN when there were none.
    /// </summary>
    public static string ResultLine(RunResult r)
    {
        var l = r.Latencies;
        return string.Create(Inv,
            $"RESULT op={r.Op} total={r.Completed} errors={r.Errors} seconds={r.ElapsedSeconds:F3} " +
            $"ops_per_sec={r.OpsPerSecond:F1} p50_ms={Ms(l.Percentile(50))} p90_ms={Ms(l.Percentile(90))} " +
            $"p99_ms={Ms(l.Percentile(99))} p999_ms={Ms(l.Percentile(99.9))}{r.ServerCpuFields}");
    }

    private static string Ms(double v) => double.IsNaN(v) ? "NaN" : v.ToString("F3", Inv);
}
