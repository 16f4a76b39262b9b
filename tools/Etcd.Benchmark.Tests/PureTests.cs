using Xunit;

namespace Etcd.Benchmark.Tests;

public class LatencyStatsTests
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

public class KeyGenTests
{
    [Theory]
    [InlineData(0, new byte[] { 0 })]
    [InlineData(1, new byte[] { 2 })]
    [InlineData(-1, new byte[] { 1 })]
    [InlineData(63, new byte[] { 126 })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(99999, new byte[] { 0xBE, 0x9A, 0x0C })]
    public void PutVarint_matches_Go(long x, byte[] expected)
    {
        var buf = new byte[10];
        int n = KeyGen.PutVarint(buf, x);
        Assert.Equal(expected, buf[..n]);
    }

    [Fact]
    public void Key_is_padded_to_key_size() =>
        Assert.Equal(new byte[] { 0x80, 0x01, 0, 0, 0, 0, 0, 0 }, KeyGen.Key(8, 64));
}

public class ArgParserTests
{
    private static BenchOptions Ok(params string[] args)
    {
        var r = ArgParser.Parse(args);
        Assert.Null(r.Error);
        return Assert.IsType<BenchOptions>(r.Options);
    }

    private static string Fail(params string[] args)
    {
        var r = ArgParser.Parse(args);
        Assert.Null(r.Options);
        return Assert.IsType<string>(r.Error);
    }

    [Fact]
    public void Defaults_follow_etcd_benchmark()
    {
        var o = Ok("put");
        Assert.Equal(BenchCommand.Put, o.Command);
        Assert.Equal(["http://127.0.0.1:2379"], o.Endpoints);
        Assert.Equal((1, 1, 10000, 120.0), (o.Conns, o.Clients, o.Total, o.MaxSeconds));
        Assert.Equal((8, 8, 1, false), (o.KeySize, o.ValSize, o.KeySpaceSize, o.SequentialKeys));
    }

    [Fact]
    public void Flags_anywhere_and_both_syntaxes()
    {
        var o = Ok("--endpoints=a:1,http://b:2", "--conns", "10", "put", "--clients=100",
            "--sequential-keys", "--val-size", "256", "--key-space-size", "100000", "--total", "20000");
        Assert.Equal(["http://a:1", "http://b:2"], o.Endpoints);
        Assert.Equal((10, 100, 20000), (o.Conns, o.Clients, o.Total));
        Assert.Equal((256, 100000, true), (o.ValSize, o.KeySpaceSize, o.SequentialKeys));
    }

    [Fact]
    public void Range_key_end_and_consistency()
    {
        var o = Ok("range", "foo", "fop", "--consistency", "s");
        Assert.Equal(("foo", "fop", "s"), (o.RangeKey, o.RangeEnd, o.Consistency));
        Assert.Null(Ok("range", "foo").RangeEnd);
        Assert.Equal("l", Ok("range", "foo").Consistency);
    }

    [Fact]
    public void Txn_put_ops()
    {
        var o = Ok("txn-put", "--txn-ops", "4");
        Assert.Equal((BenchCommand.TxnPut, 4), (o.Command, o.TxnOps));
    }

    [Theory]
    [InlineData("put", "--bogus", "1")]
    [InlineData("put", "--consistency", "s")]   // range-only flag
    [InlineData("range", "foo", "--txn-ops", "2")]
    [InlineData("range")]
    [InlineData("range", "a", "b", "c")]
    [InlineData("range", "foo", "--consistency", "x")]
    [InlineData("put", "extra")]
    [InlineData("put", "--total", "0")]
    [InlineData("put", "--total", "abc")]
    [InlineData("put", "--total")]
    [InlineData("put", "--conns", "1", "--conns", "2")]
    [InlineData("put", "--key-size", "2", "--key-space-size", "100000")] // needs 3 bytes
    [InlineData("put", "--endpoints", "ftp://x:1")]
    [InlineData("frobnicate")]
    public void Rejects(params string[] args) => Fail(args);

    [Fact]
    public void Help() => Assert.True(ArgParser.Parse(["--help"]).HelpRequested);
}

public class ReportTests
{
    [Fact]
    public void Result_line_has_the_agreed_fields()
    {
        var r = new RunResult("put", 4, LatencyStats.FromMilliseconds([1, 2, 3]), 1, [("Unavailable: x", 1)], 2.0, false);
        Assert.Equal(
            "RESULT op=put total=4 errors=1 seconds=2.000 ops_per_sec=1.5 p50_ms=2.000 p90_ms=3.000 p99_ms=3.000 p999_ms=3.000",
            Report.ResultLine(r));
        var text = Report.Format(r);
        Assert.Contains("Latency distribution:", text);
        Assert.Contains("99.9% in", text);
        Assert.Contains("[1]\tUnavailable: x", text);
    }
}
