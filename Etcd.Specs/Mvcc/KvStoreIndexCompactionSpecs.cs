using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// The index part of a compaction runs in steps after its apply, as etcd's compaction job walks a clone of its tree
/// index beside the applies: applying a Compaction refuses reads below it at once but walks no key; each
/// CompactIndexStep walks at most `limit` keys; writes, reads, HashKV and watch history between the steps see what
/// they would with the index compacted whole, and the rows the batches leave are the same.
/// </summary>
public sealed class KvStoreIndexCompactionSpecs
{
    private const int Keys = 30;
    private const int Dead = 10;

    /// <summary>
    /// Keys k00..k29 put three times each, then k00..k09 deleted, then k10..k29 put once more; returns the revision
    /// after the deletions, at which a compaction leaves nothing of k00..k09.
    /// </summary>
    private static long Build(KvStore s)
    {
        ulong index = 0;
        for (var round = 0; round < 3; round++)
            for (var k = 0; k < Keys; k++) { s.Put(Key(k), $"v{round}"); s.Commit(++index); }
        for (var k = 0; k < Dead; k++) { s.Delete(Key(k)); s.Commit(++index); }
        var afterDeletes = s.CurrentRevision;
        for (var k = Dead; k < Keys; k++) { s.Put(Key(k), "v3"); s.Commit(++index); }
        return afterDeletes;
    }

    private static string Key(int k) => $"k{k:00}";

    [Fact]
    public void Applying_a_compaction_refuses_reads_below_it_but_leaves_the_index_walk_to_the_steps()
    {
        var s = NewStore(new InMemoryBackend());
        var rev = Build(s);
        var before = Enumerable.Range(0, Keys).Select(k => s.Get(Key(k), rev)).ToList();
        s.Compact(rev).Unwrap();
        s.Commit(1000);

        // The apply compacted no key: the dead keys are all still in the index (main dropped them on the apply).
        Assert.Equal(Keys, s.IndexedKeys);
        Assert.Same(EtcdErrors.Compacted, s.Range(new RangeRequest { Key = B(Key(12)), Revision = rev - 1 }).Error);
        Assert.Equal(before, Enumerable.Range(0, Keys).Select(k => s.Get(Key(k), rev)).ToList());
        Assert.Equal(Keys - Dead, s.Range(new RangeRequest { Key = B("k"), RangeEnd = B("l"), Revision = rev }).Unwrap().Count);

        // A caller that only runs the row batches gets the walk done first.
        s.CompactNextBatch(1000);
        Assert.Equal(Keys - Dead, s.IndexedKeys);
    }

    [Fact]
    public void Each_step_walks_at_most_the_limit_and_writes_between_steps_leave_what_a_whole_walk_leaves()
    {
        var stepped = new InMemoryBackend();
        var s = NewStore(stepped);
        var rev = Build(s);
        s.Compact(rev).Unwrap();
        s.Commit(1000);

        var whole = new InMemoryBackend();
        var w = NewStore(whole);
        Build(w);
        w.Compact(rev).Unwrap();
        w.Commit(1000);
        w.CompactNextBatch(1000); // walks the index whole before its first batch

        const int limit = 4;
        var steps = 0;
        ulong index = 1000;
        while (s.IndexCompactionPending)
        {
            var indexedBefore = s.IndexedKeys;
            var done = s.CompactIndexStep(limit);
            steps++;
            Assert.InRange(indexedBefore - s.IndexedKeys, 0, limit); // at most `limit` keys walked (and dropped)
            Assert.Equal(!s.IndexCompactionPending, done);
            // Between steps: a dead key comes back, a live key moves on, and a read at the compacted revision.
            var key = Key(steps % Keys);
            s.Put(key, "between" + steps);
            s.Commit(++index);
            w.Put(key, "between" + steps);
            w.Commit(index);
            Assert.Equal(w.Get(Key((steps * 7) % Keys), rev), s.Get(Key((steps * 7) % Keys), rev));
            Assert.True(steps <= Keys, "the walk does not end");
        }

        Assert.Equal((Keys + limit - 1) / limit, steps);
        s.FinishCompaction(limit: 7);
        w.FinishCompaction(limit: 7);
        Assert.Equal(whole.CommittedRevisions, stepped.CommittedRevisions);
        Assert.Equal(w.IndexedKeys, s.IndexedKeys);
        Assert.Equal(w.HashKv(0).Unwrap(), s.HashKv(0).Unwrap());
        for (var k = 0; k < Keys; k++) Assert.Equal(w.Get(Key(k)), s.Get(Key(k)));
        Assert.Equal(whole.CompactedRevision, stepped.CompactedRevision);
    }

    [Fact]
    public void A_newer_compaction_during_the_walk_walks_again_at_its_own_revision()
    {
        var stepped = new InMemoryBackend();
        var s = NewStore(stepped);
        var rev = Build(s);
        s.Compact(rev - Dead).Unwrap(); // before the deletions: k00..k09 are alive there
        s.Commit(1000);
        s.CompactIndexStep(4);
        s.CompactIndexStep(4);
        s.Compact(rev).Unwrap();
        s.Commit(1001);
        Assert.True(s.IndexCompactionPending);
        s.FinishCompaction(limit: 5);

        var direct = new InMemoryBackend();
        var d = NewStore(direct);
        Build(d);
        d.Compact(rev).Unwrap();
        d.Commit(1000);
        d.FinishCompaction(limit: 5);
        Assert.Equal(direct.CommittedRevisions, stepped.CommittedRevisions);
        Assert.Equal(Keys - Dead, s.IndexedKeys);
        Assert.Equal(d.HashKv(0).Unwrap(), s.HashKv(0).Unwrap());
    }

    [Fact]
    public void HashKv_and_watch_history_from_the_target_during_the_walk_are_the_finished_compactions()
    {
        var s = NewStore(new InMemoryBackend());
        var rev = Build(s);
        s.Compact(rev).Unwrap();
        s.Commit(1000);
        s.CompactIndexStep(4);
        var events = new List<Event>();
        s.History(rev, s.CurrentRevision, 1000, false, events);
        Assert.True(s.IndexCompactionPending); // the history skips the tombstone at the target without the keep set
        var hash = s.HashKv(0).Unwrap();

        var f = NewStore(new InMemoryBackend());
        Build(f);
        f.Compact(rev).Unwrap();
        f.Commit(1000);
        f.FinishCompaction();
        var finished = new List<Event>();
        f.History(rev, f.CurrentRevision, 1000, false, finished);
        Assert.Equal(finished, events);
        Assert.Equal(f.HashKv(0).Unwrap(), hash);
    }

    [Fact]
    public void Watch_history_from_above_the_target_waits_for_no_walk()
    {
        var s = NewStore(new InMemoryBackend());
        var rev = Build(s);
        s.Compact(rev).Unwrap();
        s.Commit(1000);
        var events = new List<Event>();
        s.History(rev + 1, s.CurrentRevision, 1000, false, events);
        Assert.Equal(Keys - Dead, events.Count);
        Assert.True(s.IndexCompactionPending);
    }
}
