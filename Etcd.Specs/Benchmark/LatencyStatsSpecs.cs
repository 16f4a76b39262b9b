using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class LatencyStatsSpecs
{
    private static LatencyStats OneToN(int n) =>
        LatencyStats.FromMilliseconds(Enumerable.Range(1, n).Select(i => (double)(n + 1 - i)).ToArray());

    [Theory]
    [InlineData(0, 1)]
    [InlineData(10, 100)]
    [InlineData(50, 500)]
    [InlineData(99, 990)]
    [InlineData(99.9, 999)]
    [InlineData(100, 1000)]
    public void Percentile_is_nearest_rank(double p, double expected) =>
        Assert.Equal(expected, OneToN(1000).Percentile(p));

    [Fact]
    public void Percentile_of_small_sample_rounds_up()
    {
        var s = OneToN(3); // 1, 2, 3
        Assert.Equal(2, s.Percentile(50));
        Assert.Equal(3, s.Percentile(90));
        Assert.Equal(1, s.Percentile(10));
    }

    [Fact]
    public void Empty_sample_gives_NaN_and_no_histogram()
    {
        var s = LatencyStats.FromMilliseconds([]);
        Assert.True(double.IsNaN(s.Percentile(50)));
        Assert.Empty(s.Histogram());
    }

    [Fact]
    public void Summary_statistics()
    {
        var s = LatencyStats.FromMilliseconds([4, 2, 6, 8]);
        Assert.Equal(2, s.FastestMs);
        Assert.Equal(8, s.SlowestMs);
        Assert.Equal(5, s.AverageMs);
        Assert.Equal(Math.Sqrt(5), s.StddevMs, 9);
    }

    [Fact]
    public void Histogram_counts_every_sample_once()
    {
        var s = OneToN(1000);
        var h = s.Histogram();
        Assert.Equal(LatencyStats.HistogramBuckets + 1, h.Length);
        Assert.Equal(1000, h.Sum(b => b.Count));
        Assert.Equal(1, h[0].Count);          // only the fastest sits at the first mark
        Assert.Equal(1000, h[^1].UpperMs);
    }

    [Fact]
    public void Ticks_are_converted_to_ms()
    {
        var s = LatencyStats.FromTicks([2_000, 1_000], ticksPerSecond: 1_000_000);
        Assert.Equal(1.0, s.FastestMs, 9);
        Assert.Equal(2.0, s.SlowestMs, 9);
    }
}
