using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// The store's scratch lists (index revisions and keys of a range or delete, a txn's compares, a delete's previous
/// values, a watch catch-up's prev_kv) are reused across calls, but one use above <see cref="KvStore.ScratchKeep"/>
/// entries lets its array go: a single huge delete or compare does not pin its peak for the store's life.
/// </summary>
public sealed class KvStoreScratchSpecs
{
    private const int N = KvStore.ScratchKeep + 1;

    private static string K(int i) => $"k{i:D6}";

    [Fact]
    public void A_use_above_the_keep_limit_leaves_no_scratch_array_that_large_behind()
    {
        var s = new KvStore(new InMemoryBackend());
        var from = 0L;
        for (var round = 0; round < 2; round++)
        {
            if (round == 1) from = s.CurrentRevision + 1;
            for (var i = 0; i < N; i++) s.Put(K(i), $"v{round}.{i}");
        }
        s.Commit(1);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep);

        // A range over every key (its index revisions), read at once and stepped.
        Assert.Equal(N, s.Range(new RangeRequest { Key = B(K(0)), RangeEnd = B("l"), KeysOnly = true }).Unwrap().Kvs.Count);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a range: {s.ScratchCapacity}");
        var cursor = s.BeginRange(new RangeRequest { Key = B(K(0)), RangeEnd = B("l"), KeysOnly = true }, 1000).Unwrap();
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a stepped range began: {s.ScratchCapacity}");
        cursor.Close();

        // A compare over every key.
        var cmp = new Compare { Key = B(K(0)), RangeEnd = B("l"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Greater };
        Assert.True(s.Txn(new TxnRequest { Compare = { cmp } }).Unwrap().Succeeded);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a compare: {s.ScratchCapacity}");

        // A watch catch-up with prev_kv over the second round's puts.
        var events = new List<Event>();
        s.History(from, s.CurrentRevision, 2 * N, withPrevKv: true, events);
        Assert.Equal(N, events.Count);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a catch-up: {s.ScratchCapacity}");

        // A delete of every key with prev_kv, and watchers wanting previous values.
        s.EventSink = new List<Event>();
        s.EventPrevKv = true;
        Assert.Equal(N, s.Delete(K(0), "l", prevKv: true).Deleted);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a delete: {s.ScratchCapacity}");
    }

    [Fact]
    public void A_delete_nothing_wants_previous_values_of_lists_no_revisions()
    {
        var s = new KvStore(new InMemoryBackend());
        for (var i = 0; i < 1000; i++) s.Put(K(i), "v");
        s.Commit(1);
        Assert.Equal(0, s.RevScratchCapacity);

        // No prev_kv, no watchers: keys only (the revisions were listed, 1,000 of them, before the fix).
        Assert.Equal(500, s.Delete(K(0), K(500)).Deleted);
        s.EventSink = new List<Event>();
        Assert.Equal(250, s.Delete(K(500), K(750)).Deleted);
        Assert.Equal(100, s.DeleteKeysInOneRevision(Enumerable.Range(750, 100).Select(i => B(K(i))).ToList()));
        Assert.Equal(0, s.RevScratchCapacity);

        // Watchers wanting previous values: listed and read.
        s.EventPrevKv = true;
        Assert.Equal(150, s.Delete(K(850), "l").Deleted);
        Assert.True(s.RevScratchCapacity >= 150);
        Assert.All(s.EventSink!.TakeLast(150), ev => Assert.Equal("v", ev.PrevKv.Value.ToStringUtf8()));
    }
}
