using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A store whose compactions walk the index in random small steps and delete rows in random small batches, between
/// random writes, answers everything as a store that finishes each compaction on its apply: two stores get the same
/// seeded sequence of puts, deletes, delete-ranges, compactions, restarts, HashKVs, watch history (with and without
/// prev_kv) and ranges at every revision from the compacted one on; every response, the final rows, the index size
/// and the hash must be equal. Seeds are fixed (the run is deterministic); a failure names its seed and step.
/// </summary>
public sealed class KvStoreSteppedCompactionComparisonSpecs(ITestOutputHelper output)
{
    private const int Runs = 40;
    private const int Ops = 250;
    private const int KeySpace = 8;

    [Fact]
    public void Stepped_compaction_answers_as_a_compaction_finished_on_its_apply()
    {
        for (var seed = 1; seed <= Runs; seed++)
        {
            output.WriteLine($"seed {seed}");
            Run(seed);
        }
    }

    private static string Key(int k) => $"k{k}";

    private static void Run(int seed)
    {
        var rnd = new Random(seed);
        var steppedRows = new InMemoryBackend();
        var wholeRows = new InMemoryBackend();
        var s = NewStore(steppedRows);
        var w = NewStore(wholeRows);
        ulong index = 0;
        for (var op = 0; op < Ops; op++)
        {
            var at = $"seed {seed} op {op}";
            var roll = rnd.Next(100);
            if (roll < 35)
            {
                var key = Key(rnd.Next(KeySpace));
                var prev = rnd.Next(2) == 0;
                var value = $"v{op}";
                Same(at + " put", w.Put(key, value, prevKv: prev), s.Put(key, value, prevKv: prev));
                index++; w.Commit(index); s.Commit(index);
            }
            else if (roll < 50)
            {
                var key = Key(rnd.Next(KeySpace));
                var prev = rnd.Next(2) == 0;
                Same(at + " delete", w.Delete(key, prevKv: prev), s.Delete(key, prevKv: prev));
                index++; w.Commit(index); s.Commit(index);
            }
            else if (roll < 55)
            {
                var a = rnd.Next(KeySpace);
                var b = a + 1 + rnd.Next(3);
                var prev = rnd.Next(2) == 0;
                Same(at + " delete-range", w.Delete(Key(a), Key(b), prev), s.Delete(Key(a), Key(b), prev));
                index++; w.Commit(index); s.Commit(index);
            }
            else if (roll < 65)
            {
                // Mostly ahead of the compacted revision, now and then at or below it (etcd's "compacted" error).
                var rev = s.CompactedRevision + rnd.Next(-1, (int)Math.Max(2, s.CurrentRevision - s.CompactedRevision) + 1);
                var rw = w.Compact(rev);
                var rs = s.Compact(rev);
                Assert.True(rw.Error == rs.Error, $"{at} compact {rev}: {rw.Error?.Message} vs {rs.Error?.Message}");
                index++; w.Commit(index); s.Commit(index);
                if (rw.IsOk) w.FinishCompaction();
            }
            else if (roll < 68)
            {
                w = new KvStore(wholeRows);
                s = new KvStore(steppedRows);
                Assert.Equal(w.IndexedKeys, s.IndexedKeys);
            }
            else if (roll < 74)
            {
                var rev = rnd.Next(3) == 0 ? 0 : s.CompactedRevision + rnd.Next(-1, (int)(s.CurrentRevision - s.CompactedRevision) + 2);
                var hw = w.HashKv(rev);
                var hs = s.HashKv(rev);
                Assert.True(hw.Error == hs.Error, $"{at} hashkv {rev}: {hw.Error?.Message} vs {hs.Error?.Message}");
                Assert.True(Equals(hw.Value, hs.Value), $"{at} hashkv {rev}: {hw.Value} vs {hs.Value}");
            }
            else if (roll < 84)
            {
                var from = Math.Max(1, s.CompactedRevision) + rnd.Next((int)(s.CurrentRevision - Math.Max(1, s.CompactedRevision)) + 2);
                var prev = rnd.Next(2) == 0;
                var max = 1 + rnd.Next(6);
                List<Event> ew = new(), es = new();
                var lw = w.History(from, long.MaxValue, max, prev, ew);
                var ls = s.History(from, long.MaxValue, max, prev, es);
                Assert.True(lw == ls, $"{at} history from {from}: last {lw} vs {ls}");
                Assert.True(ew.SequenceEqual(es), $"{at} history from {from} prev_kv {prev}:\n{string.Join("\n", ew)}\nvs\n{string.Join("\n", es)}");
            }
            else if (roll < 88)
            {
                for (var rev = s.CompactedRevision - 1; rev <= s.CurrentRevision + 1; rev++)
                {
                    var r = new RangeRequest { Key = B("\0"), RangeEnd = B("\0"), Revision = rev };
                    var rw = w.Range(r);
                    var rs = s.Range(r);
                    Assert.True(rw.Error == rs.Error, $"{at} range at {rev}: {rw.Error?.Message} vs {rs.Error?.Message}");
                    Assert.True(Equals(rw.Value, rs.Value), $"{at} range at {rev}:\n{rw.Value}\nvs\n{rs.Value}");
                }
            }
            // The stepped store's compaction moves on by a random small amount between the operations.
            var moves = rnd.Next(3);
            for (var m = 0; m < moves && s.CompactionPending; m++)
            {
                if (s.IndexCompactionPending) s.CompactIndexStep(1 + rnd.Next(3));
                else s.CompactNextBatch(1 + rnd.Next(4));
            }
        }

        s.FinishCompaction(limit: 3);
        Assert.True(wholeRows.CommittedRevisions.SequenceEqual(steppedRows.CommittedRevisions), $"seed {seed}: final rows differ");
        Assert.True(w.IndexedKeys == s.IndexedKeys, $"seed {seed}: index {w.IndexedKeys} vs {s.IndexedKeys}");
        Assert.True(Equals(w.HashKv(0).Value, s.HashKv(0).Value), $"seed {seed}: final hash differs");
        Assert.True(wholeRows.CompactedRevision == steppedRows.CompactedRevision, $"seed {seed}: compacted revision differs");
    }

    private static void Same<T>(string at, T whole, T stepped) where T : class =>
        Assert.True(Equals(whole, stepped), $"{at}:\n{whole}\nvs\n{stepped}");
}
