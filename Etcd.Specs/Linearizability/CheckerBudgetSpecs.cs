using Etcd.Specs.Support.Linearizability;
using Xunit;

namespace Etcd.Specs.Linearizability;

/// <summary>The search is bounded by steps; running out must give Inconclusive, never Linearizable.</summary>
public class CheckerBudgetSpecs
{
    /// <summary>
    /// 24 overlapping writes then a read that finds the key absent, which nothing deleted: refuting it means
    /// visiting every (subset of writes, last write) pair, about 2^24 * 12 of them. (Absence is beyond the
    /// value rules, so only the search can decide.)
    /// </summary>
    private static HistoryBuilder Pathological(string key = "x")
    {
        var h = new HistoryBuilder();
        for (var i = 0; i < 24; i++) h.Put(i, key, $"v{i}", 0, 100);
        return h.Get(31, key, null, 200, 201);
    }

    [Fact]
    public void A_pathological_history_is_inconclusive_not_linearizable()
    {
        var result = Pathological().Check(new CheckOptions { MaxStepsPerKey = 200_000 });
        Assert.Equal(CheckVerdict.Inconclusive, result.Verdict);
        Assert.False(result.IsLinearizable);
        Assert.Equal("x", result.Key);
        Assert.InRange(result.Steps, 200_000, 200_001);
        Assert.Contains("inconclusive", result.Report);
        Assert.Contains("budget of 200000 steps", result.Report);
    }

    [Fact]
    public void A_linearizable_history_larger_than_the_budget_is_inconclusive()
    {
        var h = new HistoryBuilder();
        for (var i = 0; i < 50; i++) h.Put(1, "x", $"v{i}", 2 * i, 2 * i + 1);
        Assert.True(h.Check().IsLinearizable);
        Assert.Equal(CheckVerdict.Inconclusive, h.Check(new CheckOptions { MaxStepsPerKey = 20 }).Verdict);
    }

    [Fact]
    public void The_overall_budget_spans_keys()
    {
        var h = new HistoryBuilder();
        for (var k = 0; k < 10; k++)
            for (var i = 0; i < 20; i++) h.Put(1, $"k{k}", $"v{i}", 2 * i, 2 * i + 1);
        var full = h.Check();
        Assert.True(full.IsLinearizable, full.Report);
        var result = h.Check(new CheckOptions { MaxStepsTotal = full.Steps / 2 });
        Assert.Equal(CheckVerdict.Inconclusive, result.Verdict);
        Assert.Contains("overall budget", result.Report);
        Assert.True(result.Steps <= full.Steps / 2, $"{result.Steps} steps");
    }

    [Fact]
    public void A_violation_on_one_key_wins_over_an_inconclusive_key()
    {
        var h = Pathological("a")
            .Put(1, "b", "1", 0, 1)
            .Put(1, "b", "2", 2, 3)
            .Get(2, "b", "1", 4, 5);
        var result = h.Check(new CheckOptions { MaxStepsPerKey = 50_000 });
        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal("b", result.Key);
    }

    [Fact]
    public void The_same_history_always_takes_the_same_steps()
    {
        var options = new CheckOptions { MaxStepsPerKey = 30_000 };
        var first = Pathological().Check(options);
        var again = Pathological().Check(options);
        Assert.Equal(first.Steps, again.Steps);
        Assert.Equal(first.Verdict, again.Verdict);
    }
}
