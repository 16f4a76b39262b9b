using System.Diagnostics;
using System.Globalization;

namespace Etcd.JournalBench;

/// <summary>
/// One mode's measured writes: latencies (Stopwatch ticks, one per write) and the process CPU they took, which
/// includes every thread's (the plugin's actors and streams, the pool's spinning workers).
/// </summary>
internal sealed class ModeResult
{
    private readonly double[] _sortedUs;

    public ModeResult(string mode, long[] ticks, TimeSpan cpu)
    {
        Mode = mode;
        _sortedUs = Array.ConvertAll(ticks, t => t * 1_000_000.0 / Stopwatch.Frequency);
        Array.Sort(_sortedUs);
        CpuUsPerWrite = cpu.TotalMicroseconds / ticks.Length;
    }

    public string Mode { get; }
    public int Writes => _sortedUs.Length;
    public double MeanUs => _sortedUs.Average();
    public double CpuUsPerWrite { get; }

    /// <summary>Nearest-rank percentile: the smallest latency that at least <paramref name="p"/> % of writes did not exceed.</summary>
    public double PercentileUs(double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * _sortedUs.Length);
        return _sortedUs[Math.Clamp(rank - 1, 0, _sortedUs.Length - 1)];
    }

    public const string Header = "mode            writes   mean_us    p50_us    p90_us    p99_us  cpu_us_per_write";

    public string Row() => string.Format(CultureInfo.InvariantCulture, "{0,-14} {1,7} {2,9:F0} {3,9:F0} {4,9:F0} {5,9:F0} {6,17:F0}",
        Mode, Writes, MeanUs, PercentileUs(50), PercentileUs(90), PercentileUs(99), CpuUsPerWrite);
}
