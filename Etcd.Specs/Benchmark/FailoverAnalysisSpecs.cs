using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class FailoverAnalysisSpecs
{
    /// <summary>
    /// One put every 10 ms from 0 to <paramref name="runMs"/> (100/s); <paramref name="answer"/> says what
    /// became of the put sent at a given time: (answered at, outcome).
    /// </summary>
    private static List<RequestSample> Timeline(double runMs, Func<double, (double End, SampleOutcome Outcome)> answer)
    {
        var samples = new List<RequestSample>();
        for (double t = 0; t < runMs; t += 10)
        {
            var (end, outcome) = answer(t);
            samples.Add(new RequestSample(t, end, outcome));
        }
        return samples;
    }

    private static (double, SampleOutcome) Prompt(double sent) => (sent + 2, SampleOutcome.Ok);

    private static FailoverAnalysis Analyze(List<RequestSample> s, double runMs, double? killMs, double windowMs = 200, double fraction = 0.8) =>
        FailoverAnalysis.Analyze(s, runMs, killMs, windowMs, fraction);

    [Fact]
    public void Without_a_kill_only_the_longest_gap_is_reported_from_the_run_start()
    {
        // Answers stop between the put sent at 490 (answered 492) and the one sent at 800 (answered 802).
        var s = Timeline(2000, t => t is > 490 and < 800 ? (t + 2, SampleOutcome.Error) : Prompt(t));
        var a = Analyze(s, 2000, null);
        Assert.Equal(310, a.LongestGapMs, 6);
        Assert.Equal(492, a.LongestGapStartMs, 6);
        Assert.True(double.IsNaN(a.FirstOkAfterKillMs));
        Assert.True(double.IsNaN(a.SteadyAfterKillMs));
        Assert.Equal((200, 170, 30), (a.Scheduled, a.Ok, a.Errors));
    }

    [Fact]
    public void Puts_queued_during_the_election_are_answered_together_and_mark_the_recovery()
    {
        // Kill at 1000; every put sent in [1000, 1700) waits and succeeds at 1700, later ones are prompt.
        var s = Timeline(4000, t => t is >= 1000 and < 1700 ? (1700, SampleOutcome.Ok) : Prompt(t));
        var a = Analyze(s, 4000, 1000);
        Assert.Equal(100, a.BaselineOpsPerSec, 6);
        Assert.Equal(16, a.SteadyNeeded); // 0.8 × 100/s × 200 ms
        Assert.Equal(700, a.FirstOkAfterKillMs, 6);
        Assert.Equal(700, a.SteadyAfterKillMs, 6);
        Assert.Equal(1700 - 992, a.LongestGapMs, 6);
        Assert.Equal(-8, a.LongestGapStartMs, 6); // the last answer before it came 8 ms before the kill
    }

    [Fact]
    public void A_second_stall_after_the_first_answers_moves_steady_past_it()
    {
        var s = Timeline(4000, t => t switch
        {
            >= 1000 and < 1700 => (1700, SampleOutcome.Ok),
            >= 2000 and < 2300 => (t + 1000, SampleOutcome.Error),
            _ => Prompt(t),
        });
        var a = Analyze(s, 4000, 1000);
        Assert.Equal(700, a.FirstOkAfterKillMs, 6);
        // The window just after the answer at 1992 holds only the answers from 2302 on: not steady
        // until the first answer after the stall, 2302.
        Assert.Equal(1302, a.SteadyAfterKillMs, 6);
    }

    [Fact]
    public void A_put_sent_before_the_kill_and_answered_after_it_is_not_the_first_ok()
    {
        // The put sent at 990 was committed before the kill and answered late; all later ones fail until 1500.
        var s = Timeline(4000, t => t switch
        {
            990 => (1100, SampleOutcome.Ok),
            >= 1000 and < 1500 => (t + 50, SampleOutcome.Error),
            _ => Prompt(t),
        });
        var a = Analyze(s, 4000, 1000);
        Assert.Equal(502, a.FirstOkAfterKillMs, 6);
        Assert.Equal(502, a.SteadyAfterKillMs, 6);
        Assert.Equal(99, a.BaselineOpsPerSec, 6); // the late answer does not count before the kill either
        Assert.Equal((402, 100), (a.LongestGapMs, a.LongestGapStartMs));
    }

    [Fact]
    public void A_rate_that_stays_below_the_fraction_is_never_steady()
    {
        // After the kill only every third put succeeds: 33/s against a 100/s baseline.
        var s = Timeline(4000, t => t >= 1000 && (int)(t / 10) % 3 != 0 ? (t + 2, SampleOutcome.Error) : Prompt(t));
        var a = Analyze(s, 4000, 1000);
        Assert.Equal(22, a.FirstOkAfterKillMs, 6); // the put sent at 1020 (slot 102) is the first to succeed
        Assert.True(double.IsNaN(a.SteadyAfterKillMs));
    }

    [Fact]
    public void Recovery_too_close_to_the_end_to_judge_a_window_is_not_steady()
    {
        var s = Timeline(2000, t => t >= 1000 && t < 1900 ? (t + 2, SampleOutcome.Error) : Prompt(t));
        var a = Analyze(s, 2000, 1000);
        Assert.Equal(902, a.FirstOkAfterKillMs, 6);
        Assert.True(double.IsNaN(a.SteadyAfterKillMs)); // 1902 + 200 > 2000
    }

    [Fact]
    public void No_success_after_the_kill_leaves_both_times_unmeasured()
    {
        var s = Timeline(3000, t => t >= 1000 ? (t + 1000, SampleOutcome.Error) : Prompt(t));
        var a = Analyze(s, 3000, 1000);
        Assert.True(double.IsNaN(a.FirstOkAfterKillMs));
        Assert.True(double.IsNaN(a.SteadyAfterKillMs));
        Assert.Equal(200, a.Errors); // every put sent from 1000 to 2990
    }

    [Fact]
    public void Skipped_cancelled_and_unsent_slots_are_counted_apart()
    {
        var s = new List<RequestSample>
        {
            new(0, 1, SampleOutcome.Ok), new(10, 0, SampleOutcome.Skipped), new(20, 0, SampleOutcome.Cancelled),
            new(0, 0, SampleOutcome.NotSent), new(30, 40, SampleOutcome.Error),
        };
        var a = Analyze(s, 50, null);
        Assert.Equal((5, 1, 1, 1, 1), (a.Scheduled, a.Ok, a.Errors, a.Skipped, a.Cancelled));
        Assert.True(double.IsNaN(a.LongestGapMs)); // one success has no gap
    }

    [Fact]
    public void Ok_per_bucket_counts_answers_only_inside_the_buckets()
    {
        var s = Timeline(1000, t => t is >= 300 and < 500 ? (t + 2, SampleOutcome.Error) : Prompt(t));
        Assert.Equal([10, 10, 0, 0, 10], FailoverAnalysis.OkPerBucket(s, 98, 100, 5));
    }

    [Theory]
    [InlineData(0.0, 500.0)]   // fraction 0
    [InlineData(1.5, 500.0)]   // fraction > 1
    [InlineData(0.8, 5000.0)]  // kill after the run
    [InlineData(0.8, -1.0)]
    public void Rejects_parameters_that_measure_nothing(double fraction, double killMs) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Analyze(Timeline(1000, Prompt), 1000, killMs, 200, fraction));

    [Fact]
    public void A_success_answered_before_it_was_sent_fails_loudly() =>
        Assert.Throws<InvalidOperationException>(() => Analyze([new(10, 5, SampleOutcome.Ok)], 20, null));
}
