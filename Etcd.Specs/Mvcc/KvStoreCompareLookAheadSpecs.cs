using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A txn's compares list their index ranges lazily (KvStore.Compares.cs): in order, looking ahead only while fewer than
/// a chunk (<see cref="KvStore.RangeReadChunk"/>) of revisions is listed ahead of the cursor. So a compare that fails
/// leaves later compares' ranges unwalked, as etcd's applyCompares returns at the first false, and at most one
/// compare's range plus a chunk is listed at once. The store counts the revisions its compares list
/// (CompareRevisionsListed) and the most it held at once (CompareRevisionsPeak).
/// </summary>
public sealed class KvStoreCompareLookAheadSpecs
{
    private ulong _index;

    private static string K(int i) => $"k{i:D4}";
    private static string V(int i) => i % 3 == 0 ? $"w{i}" : $"v{i}";

    /// <summary><paramref name="n"/> keys k0000.. put in reverse, every third put again (value w{i}), committed.</summary>
    private (KvStore Store, CountingBackend Backend) Filled(int n)
    {
        var b = new CountingBackend();
        var s = new KvStore(b);
        for (var i = n - 1; i >= 0; i--) s.Put(K(i), $"v{i}");
        for (var i = 0; i < n; i += 3) s.Put(K(i), $"w{i}");
        s.Commit(++_index);
        b.ResetCounts();
        return (s, b);
    }

    private static Compare Value(CompareResult result, string key, string end = "", string value = "") =>
        new() { Key = B(key), RangeEnd = B(end), Target = CompareTarget.Value, Result = result, Value = B(value) };

    private static Compare Version(string key, long version) =>
        new() { Key = B(key), Target = CompareTarget.Version, Result = CompareResult.Equal, Version = version };

    private static bool Holds(KvStore s, IEnumerable<Compare> compares) => s.Txn(new TxnRequest { Compare = { compares } }).Unwrap().Succeeded;

    /// <summary>Revisions listed by the compares of one txn.</summary>
    private static long Listed(KvStore s, IEnumerable<Compare> compares, out bool held)
    {
        var before = s.CompareRevisionsListed;
        held = Holds(s, compares);
        return s.CompareRevisionsListed - before;
    }

    [Fact]
    public void A_compare_the_index_decides_false_leaves_every_later_compare_s_range_unwalked()
    {
        var (s, b) = Filled(2000);
        // The review's poison txn: version(k)=99 (false), then 127 value > "" compares over every key. Eager planning
        // (this branch before the fix) walked the index for all 127 ranges (254,000 revisions listed) before
        // evaluating the first compare; main and etcd range none.
        var compares = new List<Compare> { Version(K(0), 99) };
        compares.AddRange(Enumerable.Repeat(Value(CompareResult.Greater, K(0), K(2000)), 127));

        Assert.Equal(0, Listed(s, compares, out var held));
        Assert.False(held);
        Assert.Equal(0, b.Batches + b.PointReads);
    }

    [Fact]
    public void A_range_compare_that_fails_in_its_first_chunk_leaves_the_later_ranges_unwalked()
    {
        var (s, b) = Filled(1100);
        // Fails at k0005; more than a chunk of its own is listed, so nothing after it is looked ahead at.
        var compares = new List<Compare> { Value(CompareResult.NotEqual, K(0), K(1100), V(5)) };
        compares.AddRange(Enumerable.Repeat(Value(CompareResult.Greater, K(0), K(1100)), 20));

        Assert.Equal(1100, Listed(s, compares, out var held));
        Assert.False(held);
        Assert.Equal([512], b.BatchSizes);

        // A short compare that fails: the look-ahead in its chunk lists the next compare (up to a chunk ahead), and
        // the first compare the index decides false ends the look-ahead.
        b.ResetCounts();
        compares = [Value(CompareResult.Equal, K(1), value: "nope"), Value(CompareResult.Greater, K(0), K(100)), Version(K(2), 99)];
        compares.AddRange(Enumerable.Repeat(Value(CompareResult.Greater, K(0), K(1100)), 20));
        Assert.Equal(1 + 100, Listed(s, compares, out held));
        Assert.False(held);
        Assert.Equal([101], b.BatchSizes);
    }

    [Fact]
    public void Compares_that_all_hold_list_at_most_one_compare_s_range_plus_a_chunk_at_once()
    {
        var (s, b) = Filled(1100);
        var compares = Enumerable.Repeat(Value(CompareResult.Greater, K(0), K(1100)), 20).ToList();
        var listed = Listed(s, compares, out var held);

        Assert.True(held);
        Assert.Equal(20 * 1100, listed);
        // Eager planning held all 22,000 at once.
        Assert.InRange(s.CompareRevisionsPeak, 1100, 1100 + KvStore.RangeReadChunk);
        // Read in full chunks still: the look-ahead joins the next compare's rows to the last chunk of each.
        Assert.Equal(20 * 1100, b.BatchedRows);
        Assert.All(b.BatchSizes.SkipLast(1), n => Assert.Equal(KvStore.RangeReadChunk, n));
    }

    /// <summary>
    /// A 600-key compare straddles the first chunk boundary; its last 88 revisions leave room in its second chunk, so
    /// the one-key compare, the 50-key compare and the start of the 1,100-key compare after it are listed then and
    /// read in that chunk. Each is still evaluated only when reached, and a row of one after a failure is never used.
    /// </summary>
    [Fact]
    public void Compares_after_one_straddling_a_chunk_boundary_are_read_ahead_in_its_chunk_and_evaluated_in_order()
    {
        // K(i) is put first at revision 2 + 1099 - i; K(700) and K(800) are put only once.
        static Revision Only(int i) => new(2 + 1099 - i, 0);
        List<Compare> Compares(string first = "", string second = "", string third = "", string fourth = "") =>
        [
            first == "" ? Value(CompareResult.Greater, K(0), K(600)) : Value(CompareResult.NotEqual, K(0), K(600), first),
            Value(CompareResult.Equal, K(700), value: second == "" ? V(700) : second),
            third == "" ? Value(CompareResult.Greater, K(800), K(850)) : Value(CompareResult.NotEqual, K(800), K(850), third),
            fourth == "" ? Value(CompareResult.Greater, K(0), K(1100)) : Value(CompareResult.NotEqual, K(0), K(1100), fourth),
        ];

        var (s, b) = Filled(1100);
        Assert.Equal(600 + 1 + 50 + 1100, Listed(s, Compares(), out var held));
        Assert.True(held);
        Assert.Equal([512, 512, 512, 215], b.BatchSizes);
        // The first chunk's 512 were dropped before the look-ahead listed the rest.
        Assert.Equal(88 + 1 + 50 + 1100, s.CompareRevisionsPeak);

        // Each compare fails in turn: the later rows in the second chunk were read but not evaluated.
        foreach (var compares in new[] { Compares(second: "nope"), Compares(third: V(820)), Compares(fourth: V(100)) })
        {
            b.ResetCounts();
            Assert.False(Holds(s, compares));
            Assert.Equal([512, 512], b.BatchSizes);
        }
        // The first compare fails at k0550 (its second chunk): the one-key compare's lost row is never used.
        b.Lose(Only(700));
        b.ResetCounts();
        Assert.False(Holds(s, Compares(first: V(550))));
        Assert.Equal([512, 512], b.BatchSizes);
        // When the compares reach it, it fails loudly.
        var e = Assert.Throws<InvalidOperationException>(() => Holds(s, Compares()));
        Assert.Contains($"revision {Only(700)} is in the index but not in the backend", e.Message);
    }
}
