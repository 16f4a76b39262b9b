using Etcd.Actors.Compactor.Core;
using Xunit;

namespace Etcd.Specs.Compactor;

/// <summary>
/// etcd 3.4's periodic compactor on a fake clock, with etcd's own cases (etcdserver/api/v3compactor/
/// periodic_test.go: TestPeriodicHourly, TestPeriodicMinutes, TestPeriodicPause). As in those tests the revision
/// getter returns 1, 2, 3, ... one per read: the first read at the start, then one per tick.
/// </summary>
public sealed class PeriodicPolicySpecs
{
    /// <summary>Runs <paramref name="ticks"/> ticks; returns (tick number, revision) for each compaction, all succeeding.</summary>
    private static List<(int Tick, long Rev)> Run(PeriodicPolicy p, int ticks, Func<int, bool>? paused = null, Func<int, bool>? fails = null)
    {
        long rev = 0;
        var now = TimeSpan.Zero;
        p.Started(now, ++rev);
        var compactions = new List<(int, long)>();
        for (var t = 1; t <= ticks; t++)
        {
            now += p.Interval;
            if (p.Tick(now, ++rev, paused?.Invoke(t) ?? false) is not { } due) continue;
            compactions.Add((t, due));
            if (!(fails?.Invoke(t) ?? false)) p.Succeeded(now, due);
        }
        return compactions;
    }

    [Fact]
    public void Two_hours_compacts_first_after_two_hours_then_every_hour_to_the_revision_an_hour_before()
    {
        var p = new PeriodicPolicy(TimeSpan.FromHours(2), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMinutes(6), p.Interval);
        Assert.Equal(TimeSpan.FromHours(1), p.CompactInterval);
        Assert.Equal(21, p.Retentions);
        // etcd: the first compaction at revision 1, then (i + 1) * 10 every 10 intervals.
        Assert.Equal([(20, 1L), (30, 10L), (40, 20L), (50, 30L)], Run(p, 55));
    }

    [Fact]
    public void Five_minutes_samples_every_thirty_seconds_and_compacts_every_five_minutes()
    {
        var p = new PeriodicPolicy(TimeSpan.FromMinutes(5), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(30), p.Interval);
        Assert.Equal(11, p.Retentions);
        Assert.Equal([(10, 1L), (20, 10L), (30, 20L), (40, 30L), (50, 40L), (60, 50L)], Run(p, 60));
    }

    [Fact]
    public void A_paused_compactor_keeps_sampling_and_compacts_the_revision_of_one_period_ago_once_resumed()
    {
        var p = new PeriodicPolicy(TimeSpan.FromHours(1), TimeSpan.Zero);
        var n = p.Retentions; // 11
        // etcd: three hours paused, then the first tick after Resume compacts revision 1 + 2n + 1.
        Assert.Equal([(3 * n + 1, (long)(1 + 2 * n + 1))], Run(p, 3 * n + 1, paused: t => t <= 3 * n));
    }

    [Fact]
    public void A_failed_compaction_is_tried_again_at_the_next_tick_with_the_then_oldest_sample()
    {
        var p = new PeriodicPolicy(TimeSpan.FromMinutes(5), TimeSpan.Zero);
        Assert.Equal([(10, 1L), (11, 1L), (12, 2L), (22, 12L)], Run(p, 25, fails: t => t is 10 or 11));
    }

    [Fact]
    public void Periods_over_an_hour_sample_every_six_minutes_and_keep_the_whole_period()
    {
        var p = new PeriodicPolicy(TimeSpan.FromHours(24), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMinutes(6), p.Interval);
        Assert.Equal(241, p.Retentions);
        var c = Run(p, 260);
        Assert.Equal((240, 1L), c[0]); // a whole day first
        Assert.Equal(250, c[1].Tick);  // then every hour
    }
}
