namespace Etcd.Benchmark;

/// <summary>What happened to one scheduled put of a failover run.</summary>
public enum SampleOutcome
{
    /// <summary>Never sent: the run ended (--max-seconds) before its slot.</summary>
    NotSent,
    Ok,
    Error,
    /// <summary>Its slot came while --clients requests were already in flight, so it was dropped.</summary>
    Skipped,
    /// <summary>Still in flight when --max-seconds cancelled the run: neither a success nor an error.</summary>
    Cancelled,
}

/// <summary>One scheduled put: when it was sent and answered, in ms since the run started.</summary>
public readonly record struct RequestSample(double StartMs, double EndMs, SampleOutcome Outcome);

/// <summary>
/// Pure analysis of a failover run (no clocks: every time is a number of ms since the run started).
///
/// <para>Definitions, chosen so that a request that was already committed before the kill and only
/// answered after it cannot make the outage look shorter than it was:</para>
/// <list type="bullet">
/// <item><b>baseline</b>: successes answered before the kill per second of the time before the kill.</item>
/// <item><b>first ok</b>: the earliest answer among successful puts <i>sent</i> at or after the kill,
/// minus the kill time.</item>
/// <item><b>steady</b>: the earliest such answer t from which the rate holds for the rest of the run:
/// every window of --steady-window starting at or after t holds at least fraction × baseline × window
/// answers (at least one) to puts sent after the kill; minus the kill time. Only windows that end inside
/// the run are judged; NaN when the run never got there. "For the rest of the run" keeps the burst of
/// puts that queued up during the election from passing for recovery, and a second stall counts.</item>
/// <item><b>longest gap</b>: the longest time between two consecutive successful answers (all
/// requests), and when it began, relative to the kill (relative to the run start without a kill).</item>
/// </list>
/// </summary>
public sealed record FailoverAnalysis
{
    public required int Scheduled { get; init; }
    public required int Ok { get; init; }
    public required int Errors { get; init; }
    public required int Skipped { get; init; }
    public required int Cancelled { get; init; }
    public required double RunMs { get; init; }
    /// <summary>Null when nothing was killed.</summary>
    public double? KillMs { get; init; }
    public double BaselineOpsPerSec { get; init; } = double.NaN;
    public double FirstOkAfterKillMs { get; init; } = double.NaN;
    public double SteadyAfterKillMs { get; init; } = double.NaN;
    /// <summary>Successes needed in one window to count as steady (from the baseline); 0 without a kill.</summary>
    public int SteadyNeeded { get; init; }
    public double LongestGapMs { get; init; } = double.NaN;
    /// <summary>Start of the longest gap, relative to the kill (negative: before it) or to the run start.</summary>
    public double LongestGapStartMs { get; init; } = double.NaN;

    public static FailoverAnalysis Analyze(
        IReadOnlyList<RequestSample> samples, double runMs, double? killMs, double steadyWindowMs, double steadyFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steadyWindowMs);
        if (steadyFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(steadyFraction), steadyFraction, "must be in (0, 1]");
        if (killMs is < 0 || killMs > runMs) throw new ArgumentOutOfRangeException(nameof(killMs), killMs, "must lie inside the run");

        var okEnds = new List<double>();
        int errors = 0, skipped = 0, cancelled = 0;
        foreach (var s in samples)
        {
            switch (s.Outcome)
            {
                case SampleOutcome.Ok:
                    if (s.EndMs < s.StartMs) throw new InvalidOperationException($"sample answered before it was sent: {s}");
                    okEnds.Add(s.EndMs);
                    break;
                case SampleOutcome.Error: errors++; break;
                case SampleOutcome.Skipped: skipped++; break;
                case SampleOutcome.Cancelled: cancelled++; break;
            }
        }
        okEnds.Sort();

        var result = new FailoverAnalysis
        {
            Scheduled = samples.Count,
            Ok = okEnds.Count,
            Errors = errors,
            Skipped = skipped,
            Cancelled = cancelled,
            RunMs = runMs,
            KillMs = killMs,
        };
        result = WithLongestGap(result, okEnds, killMs ?? 0);
        return killMs is { } kill ? WithRecovery(result, samples, okEnds, kill, steadyWindowMs, steadyFraction) : result;
    }

    private static FailoverAnalysis WithLongestGap(FailoverAnalysis r, List<double> okEnds, double origin)
    {
        if (okEnds.Count < 2) return r;
        double best = -1, bestStart = double.NaN;
        for (int i = 1; i < okEnds.Count; i++)
        {
            double gap = okEnds[i] - okEnds[i - 1];
            if (gap > best)
            {
                best = gap;
                bestStart = okEnds[i - 1];
            }
        }
        return r with { LongestGapMs = best, LongestGapStartMs = bestStart - origin };
    }

    private static FailoverAnalysis WithRecovery(
        FailoverAnalysis r, IReadOnlyList<RequestSample> samples, List<double> okEnds, double kill, double windowMs, double fraction)
    {
        int okBeforeKill = okEnds.Count(e => e < kill);
        double baseline = kill > 0 ? okBeforeKill / (kill / 1000.0) : double.NaN;

        // Answers to puts sent after the kill: only they show the cluster accepting new writes.
        var after = samples.Where(s => s.Outcome == SampleOutcome.Ok && s.StartMs >= kill).Select(s => s.EndMs).ToList();
        after.Sort();
        r = r with { BaselineOpsPerSec = baseline };
        if (after.Count == 0) return r;
        r = r with { FirstOkAfterKillMs = after[0] - kill };
        if (double.IsNaN(baseline) || baseline <= 0) return r;

        int needed = Math.Max(1, (int)Math.Ceiling(Math.Round(fraction * baseline * windowMs / 1000.0, 9)));
        r = r with { SteadyNeeded = needed };
        double steady = SteadyFrom(after, needed, windowMs, r.RunMs);
        return double.IsNaN(steady) ? r : r with { SteadyAfterKillMs = steady - kill };
    }

    /// <summary>
    /// The earliest answer a[i] from which the rate holds for the rest of the run: the window
    /// [a[i], a[i] + w) has at least <paramref name="needed"/> answers, and so does every window that
    /// starts later (the worst window starting in [a[j], a[j+1]) is the one just after a[j], i.e.
    /// (a[j], a[j] + w]). Only windows that end inside the run are judged; NaN when even the first
    /// candidate's window does not, or no candidate qualifies.
    /// </summary>
    private static double SteadyFrom(List<double> a, int needed, double w, double runMs)
    {
        int n = a.Count;
        // holdsAfter[j]: every judged window starting after a[j] (and after every later answer) is full.
        var holdsAfter = new bool[n + 1];
        holdsAfter[n] = true;
        for (int j = n - 1; j >= 0; j--)
        {
            bool judged = a[j] + w <= runMs;
            bool full = !judged || UpperBound(a, a[j] + w) - UpperBound(a, a[j]) >= needed;
            holdsAfter[j] = full && holdsAfter[j + 1];
        }
        for (int i = 0; i < n && a[i] + w <= runMs; i++)
        {
            if (holdsAfter[i] && LowerBound(a, a[i] + w) - LowerBound(a, a[i]) >= needed) return a[i];
        }
        return double.NaN;
    }

    /// <summary>Index of the first element &gt;= x in sorted <paramref name="a"/>.</summary>
    private static int LowerBound(List<double> a, double x)
    {
        int lo = 0, hi = a.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Index of the first element &gt; x in sorted <paramref name="a"/>.</summary>
    private static int UpperBound(List<double> a, double x)
    {
        int lo = 0, hi = a.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Successful answers per bucket of <paramref name="widthMs"/> starting at <paramref name="fromMs"/>
    /// (run time), for the report's timeline. Answers outside the buckets are not counted.
    /// </summary>
    public static int[] OkPerBucket(IReadOnlyList<RequestSample> samples, double fromMs, double widthMs, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(widthMs);
        ArgumentOutOfRangeException.ThrowIfNegative(buckets);
        var counts = new int[buckets];
        foreach (var s in samples)
        {
            if (s.Outcome != SampleOutcome.Ok || s.EndMs < fromMs) continue;
            long b = (long)Math.Floor((s.EndMs - fromMs) / widthMs);
            if (b < buckets) counts[b]++;
        }
        return counts;
    }
}
