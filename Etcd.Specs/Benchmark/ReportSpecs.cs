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

    [Fact]
    public void Failover_result_line_reports_times_from_the_kill_and_NaN_for_what_was_not_measured()
    {
        var o = new BenchOptions { Command = BenchCommand.Failover, KillPid = 42, Rate = 100 };
        var a = new FailoverAnalysis
        {
            Scheduled = 400, Ok = 350, Errors = 40, Skipped = 10, Cancelled = 0, RunMs = 4000, KillMs = 1000.4,
            BaselineOpsPerSec = 99.5, FirstOkAfterKillMs = 812.25, LongestGapMs = 830, LongestGapStartMs = -17.5,
        };
        Assert.Equal(
            "RESULT op=failover total=390 errors=40 skipped=10 seconds=4.000 rate=100.0 ops_per_sec=87.5 baseline_ops_per_sec=99.5 " +
            "killed_pid=42 kill_at_s=1.000 first_ok_ms=812.250 steady_ms=NaN longest_gap_ms=830.000 gap_start_ms=-17.500",
            Report.FailoverResultLine(a, o));
    }

    [Fact]
    public void Failover_report_has_a_timeline_from_a_second_before_the_kill()
    {
        var samples = Enumerable.Range(0, 300).Select(i => new RequestSample(i * 10, i * 10 + 2, i is >= 150 and < 200 ? SampleOutcome.Error : SampleOutcome.Ok)).ToList();
        var a = FailoverAnalysis.Analyze(samples, 3000, 1500, 500, 0.8);
        var o = new BenchOptions { Command = BenchCommand.Failover, KillPid = 42, Rate = 100 };
        var text = Report.FormatFailover(new FailoverRun(samples, 3000, 1500, null, [("Unavailable: etcdserver: no leader", 50)], false), a, o);
        Assert.Contains("  -1.00s [25]", text);   // [500, 750)
        Assert.Contains("   0.00s [0]", text);    // [1500, 1750): all failed
        Assert.Contains("  +0.50s [25]", text);   // [2000, 2250)
        Assert.Contains("[50]\tUnavailable: etcdserver: no leader", text);
        Assert.EndsWith("gap_start_ms=-8.000", text);
        Assert.Contains("First ok:\t502.000 ms after the kill", text);
    }
}
