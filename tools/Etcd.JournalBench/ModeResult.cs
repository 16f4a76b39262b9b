using System.Diagnostics;
using System.Globalization;
using Etcd.Benchmark;

namespace Etcd.JournalBench;

/// <summary>
/// One mode's measured writes: latencies (Etcd.Benchmark's <see cref="LatencyStats"/>, one per write) and the process
/// CPU they took, which includes every thread's (the plugin's actors and streams, the pool's spinning workers).
/// </summary>
internal sealed class ModeResult
{
    private readonly LatencyStats _latency;

    public ModeResult(string mode, long[] ticks, TimeSpan cpu)
    {
        Mode = mode;
        _latency = LatencyStats.FromTicks(ticks, Stopwatch.Frequency);
        CpuUsPerWrite = cpu.TotalMicroseconds / ticks.Length;
    }

    public string Mode { get; }
    public int Writes => _latency.Count;
    public double MeanUs => _latency.AverageMs * 1000;
    public double CpuUsPerWrite { get; }

    /// <summary>Nearest-rank percentile, as Etcd.Benchmark reports it, in µs.</summary>
    public double PercentileUs(double p) => _latency.Percentile(p) * 1000;

    public const string Header = "mode            writes   mean_us    p50_us    p90_us    p99_us  cpu_us_per_write";

    public string Row() => string.Format(CultureInfo.InvariantCulture, "{0,-14} {1,7} {2,9:F0} {3,9:F0} {4,9:F0} {5,9:F0} {6,17:F0}",
        Mode, Writes, MeanUs, PercentileUs(50), PercentileUs(90), PercentileUs(99), CpuUsPerWrite);
}
