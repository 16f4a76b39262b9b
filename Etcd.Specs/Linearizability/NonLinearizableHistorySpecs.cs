using Etcd.Specs.Support.Linearizability;
using Xunit;

namespace Etcd.Specs.Linearizability;

/// <summary>Hand-written histories with no linearization: the checker must reject them and say where.</summary>
public class NonLinearizableHistorySpecs
{
    private static readonly CheckOptions SearchOnly = new() { UniqueValueRules = false };

    /// <summary>Rejected by the checker, and by the search alone (the value rules off), at the same op.</summary>
    private static CheckResult AssertRejected(HistoryBuilder h, string key, int stuckId)
    {
        Assert.False(BruteForceLinearizability.IsLinearizable(h.Ops), "oracle disagrees");
        foreach (var options in new[] { CheckOptions.Default, SearchOnly })
        {
            var r = h.Check(options);
            Assert.True(r.Verdict == CheckVerdict.NotLinearizable, r.Report);
            Assert.False(r.IsLinearizable);
            Assert.Equal(key, r.Key);
            Assert.Equal(stuckId, r.Stuck?.Id);
        }
        return h.Check();
    }

    [Fact]
    public void A_stale_read_after_a_write_completed_is_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Put(2, "x", "b", 2, 3)
            .Get(3, "x", "a", 4, 5), "x", 2);
    }

    [Fact]
    public void A_lost_acknowledged_write_is_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Get(2, "x", "a", 2, 3)
            .Put(1, "x", "b", 4, 6)
            .Get(2, "x", null, 5, 6)     // concurrent with the write: cannot be absent either way
            .Get(3, "x", "b", 7, 8), "x", 3);
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Get(2, "x", null, 2, 3), "x", 1);
    }

    [Fact]
    public void Two_successful_cas_from_the_same_expected_value_are_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Cas(2, "x", "a", "b", true, 2, 5)
            .Cas(3, "x", "a", "c", true, 3, 6), "x", 2); // the later return is where the search gets furthest
    }

    [Fact]
    public void A_failed_cas_whose_expectation_held_is_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Cas(2, "x", "a", "b", false, 2, 3)
            .Get(3, "x", "a", 4, 5), "x", 1);
    }

    [Fact]
    public void A_read_of_a_value_never_written_is_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 10)
            .Put(2, "x", "b", 0, 10)
            .Get(3, "x", "ghost", 5, 6), "x", 2);
    }

    [Fact]
    public void A_delete_that_is_not_seen_is_rejected()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Delete(2, "x", 2, 3)
            .Get(3, "x", "a", 4, 5), "x", 2);
    }

    [Fact]
    public void A_definitely_failed_write_must_not_be_seen()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Failed(2, KvOp.Put("x", "b"), 2, 3)
            .Get(3, "x", "b", 4, 5), "x", 2);
    }

    [Fact]
    public void An_ambiguous_write_cannot_take_effect_before_it_was_invoked()
    {
        AssertRejected(new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Get(3, "x", "b", 2, 3)
            .Ambiguous(2, KvOp.Put("x", "b"), 4), "x", 1);
    }

    [Fact]
    public void An_ambiguous_write_takes_effect_at_most_once()
    {
        AssertRejected(new HistoryBuilder()
            .Ambiguous(1, KvOp.Put("x", "a"), 0)
            .Get(2, "x", "a", 1, 2)
            .Put(3, "x", "b", 3, 4)
            .Get(2, "x", "a", 5, 6), "x", 3);
    }

    [Fact]
    public void The_violation_is_reported_on_the_bad_key_only()
    {
        var h = new HistoryBuilder()
            .Put(1, "a", "1", 0, 1)
            .Get(2, "a", "1", 2, 3)
            .Put(1, "x", "v1", 0, 1)
            .Put(2, "x", "v2", 2, 3)
            .Get(3, "x", "v1", 4, 5)
            .Put(1, "z", "9", 0, 1);
        var result = AssertRejected(h, "x", 4);
        Assert.Equal(3, result.Keys);
    }

    [Fact]
    public void The_search_report_lists_the_ops_around_the_stuck_point_with_client_input_output_and_order()
    {
        var h = new HistoryBuilder()
            .Put(7, "x", "a", 0, 1)
            .Cas(8, "x", "a", "b", true, 2, 3)
            .Get(9, "x", "a", 4, 5)
            .Ambiguous(8, KvOp.Delete("x"), 6)
            .Failed(7, KvOp.Put("x", "f"), 7, 8);
        AssertRejected(h, "x", 2);
        var report = h.Check(SearchOnly).Report;
        Assert.Contains("not linearizable", report);
        Assert.Contains("op #2 (client 9: Get() -> \"a\"", report);
        Assert.Contains("value then \"b\" (from #1)", report);
        Assert.Contains("last linearized: #0 Put(\"a\"), #1 Cas(\"a\" -> \"b\")", report);
        var lines = report.Split('\n');
        Assert.Contains(lines, l => l.Contains(">> #2") && l.Contains("c9") && l.Contains("Get()") && l.Contains("\"a\"") && l.Contains("     4      5"));
        Assert.Contains(lines, l => l.Contains("#1") && l.Contains("c8") && l.Contains("Cas(\"a\" -> \"b\")") && l.Contains("swapped") && l.Contains("     2      3"));
        Assert.Contains(lines, l => l.Contains("#3") && l.Contains("Delete()") && l.Contains("ambiguous") && l.Contains("inf"));
        Assert.DoesNotContain("Put(\"f\")", report); // failed ops did not happen, so they are not shown
    }

    [Fact]
    public void The_value_rule_report_names_the_writer_and_the_write_that_replaced_it()
    {
        var h = new HistoryBuilder()
            .Put(1, "x", "a", 0, 1)
            .Get(2, "x", "a", 2, 3)
            .Put(3, "x", "b", 4, 5)
            .Get(4, "x", "b", 6, 7)
            .Get(5, "x", "a", 8, 9);
        var report = AssertRejected(h, "x", 4).Report;
        Assert.Contains("key \"x\": op #4 read \"a\" (written only by op #0), but op #2 (Put(\"b\")) replaced it", report);
        var lines = report.Split('\n');
        Assert.Contains(lines, l => l.Contains(">> #4"));
        Assert.Contains(lines, l => l.Contains("W  #0"));
        Assert.Contains(lines, l => l.Contains("X  #2"));
    }

    [Fact]
    public void A_read_that_returned_before_its_only_writer_was_invoked_is_rejected_with_that_reason()
    {
        var report = AssertRejected(new HistoryBuilder()
            .Get(1, "x", "a", 0, 1)
            .Ambiguous(2, KvOp.Put("x", "a"), 2), "x", 0).Report;
        Assert.Contains("op #0 read \"a\" and returned before its only writer, op #1, was invoked", report);
    }
}
