using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class WatchAnalysisSpecs
{
    // 1000 ticks per second, so a tick is a millisecond. Three puts: sent at 0, 10, 20; answered at
    // 5, 30, 40 with revisions 2, 3, 4; a fourth put failed (no revision, not expected anywhere).
    private static WatchPuts Puts() => new(
        SendTicks: [0, 10, 20, 25],
        AckTicks: [5, 30, 40, 0],
        Revisions: [2, 3, 4, 0],
        Ok: [true, true, true, false],
        Conns: [0, 1, 0, 1],
        StartTick: 0,
        EndTick: 40,
        TimedOut: false);

    private static WatcherLog Log(params (long Rev, long Tick)[] events)
    {
        var log = new WatcherLog(4);
        foreach (var (rev, tick) in events)
        {
            log.Add(rev, tick);
        }
        return log;
    }

    [Fact]
    public void Delay_is_measured_from_each_puts_send_and_rates_over_the_delivery_window()
    {
        var a = WatchAnalysis.Analyze(Puts(), [Log((2, 8), (3, 25), (4, 50)), Log((2, 12), (3, 31), (4, 60))], 1000);
        Assert.True(a.CheckErrors == 0, string.Join("; ", a.Problems));
        Assert.Equal((3L, 6L, 6L), (a.PutsOk, a.Expected, a.Delivered));
        // From send: 8, 15, 30 and 12, 21, 40.
        Assert.Equal([8.0, 12, 15, 21, 30, 40], a.DelayFromSend.SortedMs);
        // From the answer: 3, -5, 10 and 7, 1, 20: one event (rev 3 on watcher 0) came before its answer.
        Assert.Equal([-5.0, 1, 3, 7, 10, 20], a.DelayFromAck.SortedMs);
        Assert.Equal(1 / 6.0, a.BeforeAckFraction, 9);
        Assert.Equal((0.04, 0.06), (a.PutSeconds, a.DeliverySeconds));
        Assert.Equal(75.0, a.PutsPerSecond, 9);
        Assert.Equal(100.0, a.EventsPerSecond, 9);
        Assert.Equal([5.0, 20, 20], a.PutLatencies.SortedMs);
    }

    [Fact]
    public void Gaps_duplicates_overflow_and_cancels_are_counted_per_watcher_and_named()
    {
        var full = Log((2, 8), (3, 25), (4, 50), (4, 51)); // duplicate of 4, fills the capacity of 4
        full.Add(5, 52);                                    // beyond capacity: overflow
        var canceled = Log((2, 8));
        canceled.Canceled = "canceled by the server: 'mvcc: required revision has been compacted' compact_revision=3";
        var a = WatchAnalysis.Analyze(Puts(), [Log((2, 8), (4, 50)), full, canceled, Log((2, 8), (3, 25), (4, 50))], 1000);
        Assert.Equal((3L, 1L, 0L, 1L), (a.Missing, a.Duplicates, a.OutOfOrder, a.Unexpected));
        Assert.Equal(5L, a.CheckErrors);
        Assert.Equal(3, a.WatchersWithProblems);
        Assert.Equal(12L, a.Expected);
        Assert.Equal(11L, a.Delivered); // 2 + 5 (one of them overflow) + 1 + 3
        Assert.Collection(a.Problems,
            p => Assert.StartsWith("watcher 0: event 1: revision 4 but revision 3 never came", p),
            p => Assert.StartsWith("watcher 1: event 3: revision 4 again", p),
            p => Assert.StartsWith("watcher 2: canceled by the server: 'mvcc: required revision has been compacted'", p));
    }

    [Fact]
    public void Watch_result_line_has_the_agreed_fields()
    {
        var a = WatchAnalysis.Analyze(Puts(), [Log((2, 8), (3, 25), (4, 50)), Log((2, 12), (3, 31), (4, 60))], 1000);
        Assert.Equal(
            "RESULT op=watch watchers=2 total=4 errors=1 seconds=0.040 ops_per_sec=75.0 events=6 expected_events=6 " +
            "events_per_sec=100.0 delay_p50_ms=15.000 delay_p90_ms=40.000 delay_p99_ms=40.000 delay_max_ms=40.000 " +
            "ack_delay_p99_ms=20.000 check_errors=0 missing=0 duplicates=0 out_of_order=0 unexpected=0 stream_errors=0",
            Report.WatchResultLine(a, putErrors: 1, streamErrors: 0));
        var text = Report.FormatWatch(a, new BenchOptions { Command = BenchCommand.Watch, Total = 4 }, [("Unavailable: x", 1)], [], false, true);
        Assert.Contains("every watcher saw every acknowledged put once, in revision order", text);
        Assert.Contains("16.7% of events were read before the writer read its answer", text);
        Assert.Contains("[1]\tUnavailable: x", text);
    }

    [Fact]
    public void An_error_field_stays_one_quoted_token() =>
        Assert.Equal("error=\"failed: Status(StatusCode='Unimplemented', Detail='')\"",
            Report.ErrorField("failed: Status(StatusCode=\"Unimplemented\", Detail=\"\")"));

    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]                  // "a" -> "b"
    [InlineData(new byte[] { 0x61, 0x2f }, new byte[] { 0x61, 0x30 })]      // "a/" -> "a0"
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]            // trailing 0xff dropped
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0x00 })]            // all 0xff: to the end of the key space
    public void Prefix_end_is_clientv3s(byte[] prefix, byte[] end) => Assert.Equal(end, WatchStreams.PrefixEnd(prefix));
}
