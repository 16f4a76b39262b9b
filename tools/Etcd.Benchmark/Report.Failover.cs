using System.Text;

namespace Etcd.Benchmark;

/// <summary>Text of the failover command: what was killed, how long writes stalled, a timeline.</summary>
public static partial class Report
{
    public const double TimelineBucketMs = 250;
    public const int MaxTimelineBuckets = 48;

    public static string FormatFailover(FailoverRun run, FailoverAnalysis a, BenchOptions o)
    {
        var s = new StringBuilder();
        s.AppendLine();
        s.AppendLine("Summary:");
        s.AppendLine(Inv, $"  Total:\t{a.RunMs / 1000:F4} secs (schedule: {o.Rate:F1} puts/s, at most {o.Clients} in flight, deadline {o.RequestTimeoutSeconds:F2} s).");
        s.AppendLine(Inv, $"  Scheduled:\t{a.Scheduled}: {a.Ok} ok, {a.Errors} errors, {a.Skipped} skipped (in-flight bound), {a.Cancelled} cancelled");
        if (run.TimedOut)
        {
            s.AppendLine(Inv, $"  Stopped by --max-seconds before all {a.Scheduled} slots completed.");
        }
        if (a.KillMs is { } kill)
        {
            s.AppendLine(Inv, $"  Killed:\tpid {o.KillPid} at {kill / 1000:F3} s (ok/s before: {a.BaselineOpsPerSec:F1})");
            s.AppendLine(Inv, $"  First ok:\t{Ms(a.FirstOkAfterKillMs)} ms after the kill (first success among puts sent after it)");
            s.AppendLine(Inv, $"  Steady:\t{Ms(a.SteadyAfterKillMs)} ms after the kill (>= {a.SteadyNeeded} ok per {o.SteadyWindowSeconds * 1000:F0} ms window)");
        }
        if (run.KillError is { } killError)
        {
            s.AppendLine(Inv, $"  Kill failed:\t{killError}");
        }
        string origin = a.KillMs is null ? "the run start" : "the kill";
        s.AppendLine(Inv, $"  Longest gap:\t{Ms(a.LongestGapMs)} ms between two successes, starting {Ms(a.LongestGapStartMs)} ms from {origin}");

        double from = Math.Max(0, (a.KillMs ?? 0) - 1000);
        int buckets = (int)Math.Clamp(Math.Ceiling((a.RunMs - from) / TimelineBucketMs), 0, MaxTimelineBuckets);
        if (buckets > 0)
        {
            var counts = FailoverAnalysis.OkPerBucket(run.Samples, from, TimelineBucketMs, buckets);
            int max = Math.Max(1, counts.Max());
            s.AppendLine();
            s.AppendLine(Inv, $"Successes per {TimelineBucketMs:F0} ms (time from {origin}):");
            for (int b = 0; b < counts.Length; b++)
            {
                double at = (from + b * TimelineBucketMs - (a.KillMs ?? 0)) / 1000;
                s.AppendLine(Inv, $"  {at,7:+0.00;-0.00;0.00}s [{counts[b]}]\t|{new string('∎', counts[b] * BarWidth / max)}");
            }
        }

        if (run.DistinctErrors.Count > 0)
        {
            s.AppendLine();
            s.AppendLine(Inv, $"Error distribution (first {Math.Min(MaxErrorsShown, run.DistinctErrors.Count)} of {run.DistinctErrors.Count} distinct):");
            foreach (var (msg, count) in run.DistinctErrors.Take(MaxErrorsShown))
            {
                s.AppendLine(Inv, $"  [{count}]\t{msg}");
            }
        }
        s.AppendLine();
        s.Append(FailoverResultLine(a, o));
        return s.ToString();
    }

    /// <summary>
    /// One machine-readable line; times in ms relative to the kill, NaN where there is nothing to
    /// measure (no kill, never recovered). total = ok + errors.
    /// </summary>
    public static string FailoverResultLine(FailoverAnalysis a, BenchOptions o)
    {
        string killAt = a.KillMs is { } k ? (k / 1000).ToString("F3", Inv) : "NaN";
        double opsPerSec = a.RunMs > 0 ? a.Ok / (a.RunMs / 1000) : 0;
        return string.Create(Inv,
            $"RESULT op=failover total={a.Ok + a.Errors} errors={a.Errors} skipped={a.Skipped} seconds={a.RunMs / 1000:F3} " +
            $"rate={o.Rate:F1} ops_per_sec={opsPerSec:F1} baseline_ops_per_sec={Rate(a.BaselineOpsPerSec)} killed_pid={o.KillPid?.ToString(Inv) ?? "none"} " +
            $"kill_at_s={killAt} first_ok_ms={Ms(a.FirstOkAfterKillMs)} steady_ms={Ms(a.SteadyAfterKillMs)} " +
            $"longest_gap_ms={Ms(a.LongestGapMs)} gap_start_ms={Ms(a.LongestGapStartMs)}");
    }

    private static string Rate(double v) => double.IsNaN(v) ? "NaN" : v.ToString("F1", Inv);
}
