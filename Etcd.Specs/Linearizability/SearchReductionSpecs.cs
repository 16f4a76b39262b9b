using Etcd.Specs.Support.Linearizability;
using Xunit;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// Each history here is refuted in a few thousand steps only thanks to one of the search's reductions;
/// without it the same refutation needs 2^16 or more positions and would come out Inconclusive under the
/// small budget used. Their correctness (never changing a verdict) is the oracle spec's job.
/// </summary>
public class SearchReductionSpecs
{
    // The value rules would refute these histories before any search: they are off here.
    private static readonly CheckOptions Tight = new() { MaxStepsPerKey = 200_000, UniqueValueRules = false };

    private static void AssertRefutedWithin(HistoryBuilder h, int stuckId)
    {
        var result = h.Check(Tight);
        Assert.True(result.Verdict == CheckVerdict.NotLinearizable, result.Report);
        Assert.Equal(stuckId, result.Stuck?.Id);
    }

    [Fact]
    public void Concurrent_reads_are_taken_without_branching()
    {
        var h = new HistoryBuilder().Put(0, "x", "a", 0, 1);
        for (var i = 0; i < 30; i++) h.Get(1 + i, "x", "a", 2, 100);
        for (var i = 0; i < 10; i++) h.Cas(40 + i, "x", "b", "c", false, 3, 100);
        h.Put(0, "x", "b", 101, 102);
        var ghost = h.NextId;
        h.Get(0, "x", "ghost", 103, 104);
        AssertRefutedWithin(h, ghost);
    }

    [Fact]
    public void Pending_ambiguous_writes_are_only_tried_where_an_op_needs_them()
    {
        var h = new HistoryBuilder();
        for (var i = 0; i < 16; i++) h.Cas(100 + i, "x", $"v{i}", "never", false, 0, 1);   // makes every v_i observable
        for (var i = 0; i < 16; i++) h.Ambiguous(i, KvOp.Put("x", $"v{i}"), 2 + i);
        for (var k = 0; k < 20; k++) h.Put(50, "x", $"a{k}", 100 + 10 * k, 101 + 10 * k).Get(51, "x", $"a{k}", 102 + 10 * k, 103 + 10 * k);
        var ghost = h.NextId;
        h.Get(52, "x", "ghost", 400, 401);
        AssertRefutedWithin(h, ghost);
    }

    [Fact]
    public void Identical_lost_writes_are_interchangeable()
    {
        // Every failed Cas needs some lost write to have landed just before it; which one does not matter.
        static HistoryBuilder Lost(int puts, int deletes, int rounds)
        {
            var h = new HistoryBuilder();
            for (var i = 0; i < puts; i++) h.Ambiguous(i, KvOp.Put("x", $"lost{i}"), 0);
            for (var i = 0; i < deletes; i++) h.Ambiguous(60 + i, KvOp.Delete("x"), 0);
            for (var k = 0; k < rounds; k++)
                h.Put(200, "x", $"a{k}", 10 + 10 * k, 11 + 10 * k).Cas(201, "x", $"a{k}", "z", false, 12 + 10 * k, 13 + 10 * k);
            return h;
        }

        var explained = Lost(50, 50, 12).Check(Tight);
        Assert.True(explained.IsLinearizable, explained.Report);

        var h = Lost(50, 50, 12);
        var ghost = h.NextId;
        h.Get(202, "x", "ghost", 500, 501);
        AssertRefutedWithin(h, ghost);

        // Each lost write lands at most once: eleven of them cannot explain twelve failed Cas.
        var tooFew = Lost(6, 5, 12).Check(Tight);
        Assert.True(tooFew.Verdict == CheckVerdict.NotLinearizable, tooFew.Report);
    }
}
