using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// The stepped index walk of a compaction against writes ahead of it, watch history from its target, a restart
/// before its first step and Compacts arriving faster than it walks: each answers as a compaction finished on its
/// apply (a twin store that runs <see cref="Kv.FinishCompaction"/> at once), and every key is compacted within one
/// pass of the walk.
/// </summary>
public sealed class KvStoreIndexCompactionAheadSpecs
{
    private const int Keys = 30;

    private static string Key(int k) => $"k{k:00}";

    /// <summary>
    /// k00..k29 put twice, then <paramref name="dead"/> of them deleted (in the index's walk order, the index keeps
    /// insertion order); returns the revision after the deletions.
    /// </summary>
    private static long Build(KvStore s, IEnumerable<int> dead, ref ulong index)
    {
        for (var round = 0; round < 2; round++)
            for (var k = 0; k < Keys; k++) { s.Put(Key(k), $"v{round}"); s.Commit(++index); }
        foreach (var k in dead) { s.Delete(Key(k)); s.Commit(++index); }
        return s.CurrentRevision;
    }

    private static (KvStore Store, InMemoryBackend Rows) Compacted(IEnumerable<int> dead, Func<long, long> target, bool finish, out long rev)
    {
        var rows = new InMemoryBackend();
        var s = NewStore(rows);
        ulong index = 0;
        rev = target(Build(s, dead, ref index));
        s.Compact(rev).Unwrap();
        s.Commit(++index);
        if (finish) s.FinishCompaction();
        return (s, rows);
    }

    private static void SameState(KvStore whole, InMemoryBackend wholeRows, KvStore stepped, InMemoryBackend steppedRows)
    {
        Assert.Equal(wholeRows.CommittedRevisions, steppedRows.CommittedRevisions);
        Assert.Equal(whole.IndexedKeys, stepped.IndexedKeys);
        Assert.Equal(whole.HashKv(0).Unwrap(), stepped.HashKv(0).Unwrap());
        for (var k = 0; k < Keys; k++) Assert.Equal(whole.Get(Key(k)), stepped.Get(Key(k)));
    }

    [Fact]
    public void A_dead_key_revived_and_a_live_key_deleted_ahead_of_the_walk_end_as_with_the_whole_walk()
    {
        var dead = Enumerable.Range(20, 5).ToArray(); // k20..k24: dead at the target, far ahead of the first step
        var (s, sRows) = Compacted(dead, r => r, finish: false, out var rev);
        var (w, wRows) = Compacted(dead, r => r, finish: true, out _);
        s.CompactIndexStep(4);
        ulong index = 500;
        foreach (var store in new[] { s, w })
        {
            store.Put(Key(22), "revived"); store.Commit(++index); // dead at the apply, alive again before the walk reaches it
            store.Delete(Key(27)); store.Commit(++index);          // alive at the apply, dead before the walk reaches it
        }
        List<Event> fromW = new(), fromS = new();
        w.History(rev, long.MaxValue, 1000, true, fromW);
        s.History(rev, long.MaxValue, 1000, true, fromS);
        Assert.Equal(fromW, fromS);
        Assert.True(s.IndexCompactionPending);
        s.FinishCompaction(limit: 3);
        SameState(w, wRows, s, sRows);
        Assert.Equal("revived", s.Get(Key(22))!.Value.ToStringUtf8());
        Assert.Null(s.Get(Key(27)));
    }

    [Theory]
    [InlineData(0)] // the target is the tombstone of the last deletion: the compaction deletes that row
    [InlineData(1)] // the target is a put: its event has no prev_kv (etcd's range at target-1 fails as compacted)
    public void Watch_history_from_the_target_with_prev_kv_answers_without_finishing_the_walk(int afterDeletes)
    {
        var dead = Enumerable.Range(0, 10).ToArray();
        var s = NewStore(new InMemoryBackend());
        var w = NewStore(new InMemoryBackend());
        ulong index = 0;
        foreach (var store in new[] { s, w })
        {
            Build(store, dead, ref index);
            for (var k = 10; k < Keys; k++) { store.Put(Key(k), "v2"); store.Commit(++index); }
        }
        var target = s.CurrentRevision - (Keys - 10) + afterDeletes;
        foreach (var store in new[] { s, w }) { store.Compact(target).Unwrap(); store.Commit(++index); }
        w.FinishCompaction();
        s.CompactIndexStep(4);

        foreach (var prevKv in new[] { true, false })
        {
            List<Event> fromW = new(), fromS = new();
            Assert.Equal(w.History(target, long.MaxValue, 1000, prevKv, fromW), s.History(target, long.MaxValue, 1000, prevKv, fromS));
            Assert.Equal(fromW, fromS);
            Assert.True(s.IndexCompactionPending, "history from the target finished the walk");
            if (afterDeletes == 1) Assert.Null(fromS[0].PrevKv);
        }
    }

    [Fact]
    public void A_restart_after_the_apply_before_any_step_ends_as_the_whole_walk()
    {
        var dead = Enumerable.Range(5, 10).ToArray();
        var (s, sRows) = Compacted(dead, r => r, finish: false, out var rev);
        var (w, wRows) = Compacted(dead, r => r, finish: true, out _);
        Assert.True(s.IndexCompactionPending);
        var restarted = new KvStore(sRows);
        Assert.Equal(rev, restarted.CompactedRevision);
        Assert.Equal(w.HashKv(0).Unwrap(), restarted.HashKv(0).Unwrap());
        List<Event> fromW = new(), fromS = new();
        w.History(rev, long.MaxValue, 1000, true, fromW);
        restarted.History(rev, long.MaxValue, 1000, true, fromS);
        Assert.Equal(fromW, fromS);
        restarted.FinishCompaction(limit: 4);
        SameState(w, wRows, restarted, sRows);
    }

    [Fact]
    public void Compacts_arriving_every_step_still_compact_every_key_within_one_pass()
    {
        var dead = Enumerable.Range(Keys - 6, 6).ToArray(); // the last keys of the walk order
        var (s, sRows) = Compacted(dead, r => r, finish: false, out _);
        var (w, wRows) = Compacted(dead, r => r, finish: true, out _);
        const int limit = 4;
        ulong index = 500;
        for (var step = 0; step < (Keys + limit - 1) / limit; step++)
        {
            s.CompactIndexStep(limit);
            foreach (var store in new[] { s, w })
            {
                store.Put(Key(0), $"s{step}");
                store.Commit(++index);
                store.Compact(store.CurrentRevision).Unwrap();
                store.Commit(++index);
            }
            w.FinishCompaction();
        }
        // One pass of steps reached the last keys though a newer Compact came after every step.
        Assert.Equal(Keys - dead.Length, s.IndexedKeys);
        s.FinishCompaction(limit: 5);
        SameState(w, wRows, s, sRows);
    }
}
