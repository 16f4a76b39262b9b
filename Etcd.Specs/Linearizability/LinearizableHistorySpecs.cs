using Etcd.Specs.Support.Linearizability;
using Xunit;

namespace Etcd.Specs.Linearizability;

/// <summary>Hand-written histories that have a linearization: the checker must find it.</summary>
public class LinearizableHistorySpecs
{
    private static void AssertLinearizable(HistoryBuilder h, CheckOptions? options = null)
    {
        var result = h.Check(options);
        Assert.True(result.IsLinearizable, result.Report);
        Assert.True(BruteForceLinearizability.IsLinearizable(h.Ops, options?.InitialValues.GetValueOrDefault("x")), "oracle disagrees");
    }

    [Fact]
    public void A_sequential_history_of_every_kind_is_linearizable()
    {
        var h = new HistoryBuilder()
            .Get(1, "x", null, 0, 1)
            .Put(1, "x", "a", 2, 3)
            .Get(2, "x", "a", 4, 5)
            .Cas(1, "x", "a", "b", true, 6, 7)
            .Cas(2, "x", "a", "c", false, 8, 9)
            .Get(1, "x", "b", 10, 11)
            .Delete(2, "x", 12, 13)
            .Get(1, "x", null, 14, 15)
            .Cas(2, "x", null, "d", true, 16, 17)
            .Cas(1, "x", null, "e", false, 18, 19)
            .Get(2, "x", "d", 20, 21);
        var result = h.Check();
        Assert.True(result.IsLinearizable, result.Report);
        Assert.Equal(11, result.Operations);
        Assert.Equal(1, result.Keys);
    }

    [Fact]
    public void Reads_overlapping_a_write_may_see_the_old_or_the_new_value()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Put(1, "x", "b", 2, 20)
            .Get(2, "x", "b", 3, 4)     // the write took effect early...
            .Get(3, "x", "b", 5, 6)     // ...so later reads must see it too
            .Get(4, "x", "b", 21, 22));
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Put(1, "x", "b", 2, 20)
            .Get(2, "x", "a", 3, 4)
            .Get(3, "x", "b", 5, 6)
            .Get(4, "x", "b", 21, 22));
    }

    [Fact]
    public void Concurrent_writes_may_take_effect_in_either_order()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 0, 10)
            .Get(3, "x", "a", 11, 12));
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 0, 10)
            .Get(3, "x", "b", 11, 12));
    }

    [Fact]
    public void Concurrent_cas_from_the_same_value_one_wins()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Cas(2, "x", "a", "b", false, 2, 10)
            .Cas(3, "x", "a", "c", true, 3, 9)
            .Cas(4, "x", "c", "d", true, 4, 8)   // only possible after client 3's swap
            .Get(1, "x", "d", 11, 12));
    }

    [Fact]
    public void An_ambiguous_write_that_took_effect_explains_a_later_read()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Ambiguous(2, KvOp.Put("x", "b"), 2)
            .Get(3, "x", "b", 10, 11));
    }

    [Fact]
    public void An_ambiguous_write_that_never_took_effect_is_allowed()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Ambiguous(2, KvOp.Put("x", "b"), 2)
            .Ambiguous(2, KvOp.Delete("x"), 3)
            .Ambiguous(2, KvOp.Cas("x", "a", "c"), 4)
            .Get(3, "x", "a", 10, 11)
            .Get(3, "x", "a", 12, 13)
            .Cas(3, "x", "zz", "q", false, 14, 15)); // a failed Cas: nothing may be pruned, the search decides
    }

    [Fact]
    public void An_ambiguous_write_may_take_effect_long_after_its_client_gave_up()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Ambiguous(2, KvOp.Put("x", "b"), 2)
            .Get(2, "x", "a", 5, 6)
            .Get(3, "x", "a", 30, 31)
            .Get(3, "x", "b", 40, 41));
    }

    [Fact]
    public void An_unobserved_ambiguous_write_can_explain_a_failed_cas()
    {
        // Without "b" landing before the Cas, the Cas from "a" would have had to swap.
        var h = new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Cas(3, "x", "a", "c", false, 5, 6)
            .Put(1, "x", "w", 7, 8)
            .Get(3, "x", "w", 9, 10);
        Assert.Equal(CheckVerdict.NotLinearizable, h.Check().Verdict);
        h.Ambiguous(2, KvOp.Put("x", "b"), 2);
        AssertLinearizable(h);
    }

    [Fact]
    public void Ambiguous_writes_nobody_could_observe_are_left_out_of_the_search()
    {
        var h = new HistoryBuilder().Put(1, "x", "a", 0, 1);
        for (var i = 0; i < 40; i++) h.Ambiguous(2 + i, KvOp.Put("x", $"lost{i}"), 2 + i);
        h.Ambiguous(99, KvOp.Get("x"), 3).Get(1, "x", "a", 100, 101);
        var result = h.Check();
        Assert.True(result.IsLinearizable, result.Report);
        Assert.Equal(41, result.Pruned);
    }

    [Fact]
    public void Definitely_failed_operations_are_dropped()
    {
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Failed(2, KvOp.Put("x", "b"), 2, 3)
            .Get(3, "x", "a", 4, 5));
    }

    [Fact]
    public void Equal_timestamps_count_as_concurrent()
    {
        // The clock cannot order a return and an invocation that share a tick, so either order is allowed.
        AssertLinearizable(new HistoryBuilder()
            .Put(1, "x", "a", 0, 5)
            .Get(2, "x", null, 5, 6));
    }

    [Fact]
    public void Keys_are_independent_registers()
    {
        var result = new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Put(2, "y", "b", 0, 1)
            .Get(3, "x", "a", 2, 3)
            .Get(3, "y", "b", 4, 5)
            .Delete(1, "y", 6, 7)
            .Get(2, "x", "a", 8, 9)
            .Check();
        Assert.True(result.IsLinearizable, result.Report);
        Assert.Equal(2, result.Keys);
    }

    [Fact]
    public void Keys_start_from_their_initial_values()
    {
        var h = new HistoryBuilder().Get(1, "x", "init", 0, 1).Cas(1, "x", "init", "a", true, 2, 3);
        Assert.Equal(CheckVerdict.NotLinearizable, h.Check().Verdict);
        AssertLinearizable(h, new CheckOptions { InitialValues = new Dictionary<string, string> { ["x"] = "init" } });
    }

    [Fact]
    public void An_empty_history_is_linearizable()
    {
        var result = LinearizabilityChecker.Check([]);
        Assert.True(result.IsLinearizable, result.Report);
        Assert.Equal(0, result.Keys);
    }
}
