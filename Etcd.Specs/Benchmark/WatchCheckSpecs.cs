using Etcd.Benchmark;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Benchmark;

public sealed class WatchCheckSpecs(ITestOutputHelper output)
{
    private static readonly long[] Expected = [5, 6, 9, 10, 12];

    private static WatchCheckResult Check(params long[] received) => WatchCheck.Check(Expected, received);

    [Fact]
    public void Exactly_the_acknowledged_revisions_in_order_pass()
    {
        var r = Check(5, 6, 9, 10, 12);
        Assert.True(r.Ok);
        Assert.Equal((5L, 5L, 0L), (r.Received, r.Matched, r.Missing));
        Assert.Null(r.FirstProblem);
    }

    [Fact]
    public void No_puts_and_no_events_pass() => Assert.True(WatchCheck.Check([], []).Ok);

    [Fact]
    public void A_gap_in_the_middle_is_missing_and_named()
    {
        var r = Check(5, 6, 10, 12);
        Assert.False(r.Ok);
        Assert.Equal((1L, 0L, 0L, 0L), (r.Missing, r.Duplicates, r.OutOfOrder, r.Unexpected));
        Assert.Contains("revision 9 never came", r.FirstProblem);
    }

    [Fact]
    public void Events_that_stop_early_are_missing_at_the_end()
    {
        var r = Check(5, 6);
        Assert.Equal(3L, r.Missing);
        Assert.Contains("from 9 on never came (3 missing at the end)", r.FirstProblem);
    }

    [Fact]
    public void A_repeated_revision_is_a_duplicate()
    {
        var r = Check(5, 6, 6, 9, 10, 12);
        Assert.False(r.Ok);
        Assert.Equal((0L, 1L, 0L), (r.Missing, r.Duplicates, r.OutOfOrder));
        Assert.Contains("revision 6 again", r.FirstProblem);
    }

    [Fact]
    public void A_revision_below_the_last_one_is_out_of_order_even_if_never_seen_before()
    {
        // 9 and 6 swapped: 6 arrives after 9. Counted once as out of order, and 6 as missing (it
        // was not received in its place), so a reordering can never pass for a clean run.
        var r = Check(5, 9, 6, 10, 12);
        Assert.False(r.Ok);
        Assert.Equal((1L, 1L, 0L), (r.OutOfOrder, r.Missing, r.Duplicates));
        Assert.Contains("revision 6 never came", r.FirstProblem);
    }

    [Fact]
    public void A_replay_from_the_start_is_out_of_order()
    {
        var r = Check(5, 6, 9, 10, 12, 5, 6);
        Assert.Equal((2L, 0L), (r.OutOfOrder, r.Missing));
        Assert.Contains("event 5: revision 5 after 12", r.FirstProblem);
    }

    [Fact]
    public void A_revision_no_acknowledged_put_had_is_unexpected()
    {
        var r = Check(5, 6, 7, 9, 10, 12);
        Assert.False(r.Ok);
        Assert.Equal((1L, 0L), (r.Unexpected, r.Missing));
        Assert.Contains("revision 7 is no acknowledged put", r.FirstProblem);
    }

    [Fact]
    public void Random_runs_with_one_fault_injected_never_pass()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed={seed}");
        var rng = new Random(seed);
        for (int run = 0; run < 200; run++)
        {
            var expected = new long[rng.Next(2, 50)];
            long rev = rng.Next(1, 10);
            for (int i = 0; i < expected.Length; i++)
            {
                rev += rng.Next(1, 4);
                expected[i] = rev;
            }
            var received = expected.ToList();
            int at = rng.Next(received.Count);
            int fault = rng.Next(4);
            switch (fault)
            {
                case 0: received.RemoveAt(at); break;                                 // gap
                case 1: received.Insert(at, received[at]); break;                     // duplicate
                case 2 when at > 0: (received[at - 1], received[at]) = (received[at], received[at - 1]); break; // swap
                case 2: received.Add(received[0]); break;                             // late replay of the first
                default: received.Insert(at, expected[^1] + 1 + at); break;           // unknown revision
            }
            var r = WatchCheck.Check(expected, received.ToArray());
            Assert.False(r.Ok, $"seed {seed} run {run} fault {fault}: [{string.Join(',', received)}] passed against [{string.Join(',', expected)}]");
            Assert.NotNull(r.FirstProblem);
            Assert.True(WatchCheck.Check(expected, expected).Ok, $"seed {seed} run {run}: the clean run failed");
        }
    }
}
