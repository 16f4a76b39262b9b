using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Mvcc;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Watch;

/// <summary>
/// Watch history (<see cref="KvStore.History"/>) while a compaction's batches are under way: every member runs them at
/// its own pace, so a catch-up read must not depend on how far they got. The rows still to be deleted are skipped, as
/// HashKV skips them (review of issue 9: a watcher starting at the compacted revision got the tombstone there from a
/// member whose batches had not reached it, and not from one whose had).
/// </summary>
public sealed class KvStoreHistoryCompactionSpecs
{
    private static KvStore Written(InMemoryBackend backend)
    {
        var s = NewStore(backend);
        ulong index = 0;
        for (var i = 0; i < 30; i++)
        {
            s.Put("k" + (i % 3), "v" + i);
            s.Commit(++index);
        }
        s.Delete("k1"); // a tombstone at the revision compacted to below
        s.Commit(++index);
        for (var i = 0; i < 5; i++)
        {
            s.Put("k" + (i % 2 * 2), "w" + i);
            s.Commit(++index);
        }
        return s;
    }

    private static List<(string Type, string Key, long Rev)> Read(KvStore s, long from) =>
        ReadEvents(s, from).Select(e => (e.Type.ToString(), e.Kv.Key.ToStringUtf8(), e.Kv.ModRevision)).ToList();

    private static List<Event> ReadEvents(KvStore s, long from)
    {
        var events = new List<Event>();
        Assert.Equal(s.CurrentRevision, s.History(from, s.CurrentRevision, 1000, withPrevKv: true, events));
        return events;
    }

    [Theory]
    [InlineData(0)]  // compacted, no batch run yet
    [InlineData(1)]  // one batch of 5 rows
    [InlineData(5)]  // most of them
    public void A_read_from_the_compacted_revision_is_the_same_at_every_stage_of_the_compaction(int batches)
    {
        var backend = new InMemoryBackend();
        var s = Written(backend);
        var tombstone = 32L; // revision 1 is the empty store's, then 30 puts, then the delete
        Assert.Equal(tombstone + 5, s.CurrentRevision);
        s.Compact(tombstone).Unwrap();
        s.Commit(100);
        for (var i = 0; i < batches; i++) s.CompactNextBatch(5);
        Assert.True(s.CompactionPending);
        var during = Read(s, tombstone);

        var finished = Written(new InMemoryBackend());
        finished.Compact(tombstone).Unwrap();
        finished.Commit(100);
        finished.FinishCompaction();
        var after = Read(finished, tombstone);

        Assert.DoesNotContain(after, e => e.Rev == tombstone); // the finished compaction deleted it, as etcd's does
        Assert.Equal(after, during);
        Assert.Equal(5, during.Count);
        Assert.Equal(ReadEvents(finished, tombstone).Select(e => e.PrevKv?.ModRevision), ReadEvents(s, tombstone).Select(e => e.PrevKv?.ModRevision));
    }
}
