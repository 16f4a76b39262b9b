using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class ReportSpecs
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
