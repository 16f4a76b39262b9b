using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// Physical compaction in batches (etcd's scheduleCompaction): Compact compacts the index at once and schedules
/// the rows; each CompactNextBatch looks at `limit` rows and commits on its own; a crash between batches is
/// finished by the next store on the same backend; HashKV is the finished compaction's while it is half done.
/// </summary>
public sealed class KvStoreCompactionSpecs
{
    /// <summary>Puts n revisions over <paramref name="keys"/> keys, deleting every fifth key once; commits each.</summary>
    private static KvStore History(InMemoryBackend backend, int n, int keys)
    {
        var s = NewStore(backend);
        ulong index = 0;
        for (var i = 0; i < n; i++)
        {
            if (i % 50 == 49) s.Delete("k" + (i % keys));
            else s.Put("k" + (i % keys), "v" + i);
            s.Commit(++index);
        }
        return s;
    }

    [Fact]
    public void A_compaction_is_split_into_batches_of_the_limit_each_its_own_commit()
    {
        var backend = new InMemoryBackend();
        var s = History(backend, 1000, 10);
        var rev = s.CurrentRevision - 5;
        s.Compact(rev).Unwrap();
        s.Commit(1001);
        var commits = backend.Commits;
        Assert.True(s.CompactionPending);
        Assert.Equal(-1, backend.CompactedRevision);
        Assert.Equal(rev, backend.ScheduledCompaction);

        var batches = s.FinishCompaction(limit: 100);
        // rev - 1 rows at or below rev (revision 1 has none): full batches of 100, then a short one that finishes.
        var rowsAtOrBelow = (int)rev - 1;
        Assert.Equal(rowsAtOrBelow / 100 + 1, batches.Count);
        Assert.Equal(batches.Count, backend.Commits - commits);
        Assert.All(batches.SkipLast(1), b => Assert.Equal((100, false), (b.Scanned, b.Done)));
        Assert.True(batches[^1].Done);
        Assert.Equal(rev, backend.CompactedRevision);
        Assert.Equal(1001ul, backend.ConsistentIndex);
        // Left: per key its newest revision at or below rev unless that is a tombstone, and everything after rev.
        Assert.All(backend.CommittedRevisions.Where(r => r.Main <= rev), r => Assert.True(r.Main > rev - 10, $"{r} should have been compacted"));
        Assert.Equal(rowsAtOrBelow - backend.CommittedRevisions.Count(r => r.Main <= rev), (int)batches[^1].TotalDeleted);
    }

    [Fact]
    public void Writes_and_reads_go_on_between_batches_and_see_the_compacted_index()
    {
        var backend = new InMemoryBackend();
        var s = History(backend, 300, 3);
        s.Compact(250).Unwrap();
        s.Commit(301);
        s.CompactNextBatch(50);

        Assert.Same(EtcdErrors.Compacted, s.Range(new RangeRequest { Key = B("k1"), Revision = 249 }).Error);
        Assert.Same(EtcdErrors.Compacted, s.Compact(250).Error);
        Assert.Same(EtcdErrors.FutureRev, s.Compact(s.CurrentRevision + 1).Error);
        var before = s.Get("k1", 250);
        s.Put("k1", "between");
        s.Commit(302);
        Assert.Equal("between", s.Get("k1")!.Value.ToStringUtf8());

        s.FinishCompaction(limit: 50);
        Assert.Equal(before, s.Get("k1", 250));
        Assert.Equal("between", s.Get("k1")!.Value.ToStringUtf8());
    }

    [Fact]
    public void A_batch_refuses_to_run_while_a_write_is_not_committed()
    {
        var s = History(new InMemoryBackend(), 20, 2);
        s.Compact(10).Unwrap();
        Assert.Throws<InvalidOperationException>(() => s.CompactNextBatch(5));
        s.Commit(21);
        s.Put("x", "y");
        Assert.Throws<InvalidOperationException>(() => s.CompactNextBatch(5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void A_crash_between_batches_is_finished_by_the_next_store_with_the_same_rows_as_without_it(int batchesBeforeCrash)
    {
        // Key "a" dies early, so its leading tombstone is what a partial deletion can leave first (the restored index
        // does not know such a row: only the backend scan can delete it).
        var expected = new InMemoryBackend();
        Build(expected).FinishCompaction(limit: 4);

        var crashed = new InMemoryBackend();
        var s = Build(crashed);
        for (var i = 0; i < batchesBeforeCrash && s.CompactionPending; i++) s.CompactNextBatch(4);
        crashed.Reopen();

        var restarted = NewStore(crashed);
        Assert.Equal(30, restarted.CompactedRevision);
        Assert.Same(EtcdErrors.Compacted, restarted.Range(new RangeRequest { Key = B("b"), Revision = 29 }).Error);
        Assert.Equal(restarted.CompactionPending, crashed.CompactedRevision != 30);
        restarted.FinishCompaction(limit: 4);
        Assert.Equal(expected.CommittedRevisions, crashed.CommittedRevisions);
        Assert.Equal(30, crashed.CompactedRevision);
        Assert.Equal(s.CurrentRevision, restarted.CurrentRevision);
        Assert.Equal(Build(new InMemoryBackend()).HashKv(0).Unwrap(), restarted.HashKv(0).Unwrap());

        static KvStore Build(InMemoryBackend b)
        {
            var s = NewStore(b);
            s.Put("a", "1");
            s.Delete("a");
            for (var i = 0; i < 30; i++) s.Put("b" + (i % 4), "v" + i);
            s.Put("c", "1");
            s.Commit(1);
            s.Compact(30).Unwrap();
            s.Commit(2);
            return s;
        }
    }

    [Fact]
    public void A_crash_after_every_row_went_but_before_the_finish_mark_keeps_the_revision()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1"); // 2
        s.Delete("a");   // 3
        s.Commit(1);
        s.Compact(3).Unwrap();
        s.Commit(2);
        Assert.False(s.CompactNextBatch(2).Done); // both rows deleted, batch full: not finished yet
        Assert.Empty(backend.CommittedRevisions);

        var restarted = NewStore(backend);
        Assert.Equal(3, restarted.CurrentRevision);
        Assert.Equal(3, restarted.CompactedRevision);
        Assert.True(restarted.FinishCompaction(limit: 2).Single().Done);
        Assert.Equal(3, backend.CompactedRevision);
    }

    [Fact]
    public void A_newer_compaction_during_a_pending_one_leaves_what_the_newer_alone_leaves()
    {
        var backend = new InMemoryBackend();
        var s = History(backend, 200, 5);
        s.Compact(100).Unwrap();
        s.Commit(201);
        s.CompactNextBatch(30);
        s.Compact(150).Unwrap();
        s.Commit(202);
        s.FinishCompaction(limit: 30);

        var direct = History(new InMemoryBackend(), 200, 5);
        direct.Compact(150).Unwrap();
        direct.Commit(201);
        direct.FinishCompaction();
        Assert.Equal(150, backend.CompactedRevision);
        Assert.Equal(direct.Backend is InMemoryBackend d ? d.CommittedRevisions : null, backend.CommittedRevisions);
    }

    /// <summary>
    /// A row the older compaction kept and its batches already passed, which the newer one must delete (the key was
    /// deleted between the two targets): the newer compaction looks at every row again. It used to go on from where
    /// the older stood, left the row behind, and a restart brought the deleted key back (review of issue 9).
    /// </summary>
    [Fact]
    public void A_newer_compaction_deletes_a_row_the_older_kept_behind_where_it_stood()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        ulong index = 0;
        s.Put("b", "old");                                  // revision 2: b's only put
        s.Commit(++index);
        for (var i = 0; i < 40; i++) { s.Put("a", "v" + i); s.Commit(++index); }
        var first = s.CurrentRevision;                      // b is alive here: the first compaction keeps its put
        s.Delete("b");
        s.Commit(++index);
        for (var i = 0; i < 10; i++) { s.Put("a", "w" + i); s.Commit(++index); }
        s.Compact(first).Unwrap();
        s.Commit(++index);
        s.CompactNextBatch(10);                             // past revision 2, which it keeps
        s.Compact(s.CurrentRevision).Unwrap();              // b's put and tombstone are both at or below it now
        s.Commit(++index);
        s.FinishCompaction(limit: 10);

        Assert.DoesNotContain(backend.CommittedRevisions, r => r.Main == 2);
        var restarted = NewStore(backend);
        Assert.Null(restarted.Get("b"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60)]
    [InlineData(250)]
    public void HashKv_while_a_compaction_is_half_done_is_the_finished_compactions(long rev)
    {
        // Revision 0 is the current one; with every key deleted before the compaction point, Keep is empty and
        // etcd 3.4's filter would count the rows still to be deleted: they must not count here.
        var backend = new InMemoryBackend();
        var s = History(backend, 300, 7);
        for (var k = 0; k < 7; k++) s.Delete("k" + k);
        s.Commit(400);
        var at = s.CurrentRevision - 1;
        s.Compact(50).Unwrap();
        s.Commit(401);
        s.CompactNextBatch(10);
        var half = s.HashKv(rev);
        s.Compact(at).Unwrap();
        s.Commit(402);
        s.CompactNextBatch(10);
        var halfEmptyKeep = s.HashKv(0).Unwrap();

        var finished = History(new InMemoryBackend(), 300, 7);
        for (var k = 0; k < 7; k++) finished.Delete("k" + k);
        finished.Commit(400);
        finished.Compact(50).Unwrap();
        finished.Commit(401);
        finished.FinishCompaction();
        Assert.Equal(finished.HashKv(rev).Value, half.Value);
        Assert.Equal(finished.HashKv(rev).Error, half.Error);
        finished.Compact(at).Unwrap();
        finished.Commit(402);
        finished.FinishCompaction();
        Assert.Equal(finished.HashKv(0).Unwrap(), halfEmptyKeep);
    }
}
