using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// The store's multi-key reads other than Range go to the backend a batch at a time (IBackend.GetRevisions, a SQLite
/// statement per 128 rows) instead of one point read per key (issue 11): a txn's compares, a delete's prev_kv and the
/// previous values watchers want (a delete, a lease revoke), a watch catch-up's prev_kv. Answers, their order, and what
/// a row the index names but the backend lacks does, are as with a read per key. A counting backend shows the reads.
/// </summary>
public sealed class KvStoreBatchedReadSpecs
{
    private ulong _index;

    private static string K(int i) => $"k{i:D4}";
    private static string V(int i) => i % 3 == 0 ? $"w{i}" : $"v{i}";

    /// <summary>
    /// <paramref name="n"/> keys put in reverse (key order is the opposite of revision order), every third put again
    /// (value w{i}, version 2), committed; the counts start at zero.
    /// </summary>
    private (KvStore Store, CountingBackend Backend) Filled(int n = 300)
    {
        var b = new CountingBackend();
        var s = new KvStore(b);
        for (var i = n - 1; i >= 0; i--) s.Put(K(i), $"v{i}");
        for (var i = 0; i < n; i += 3) s.Put(K(i), $"w{i}");
        s.Commit(++_index);
        b.ResetCounts();
        return (s, b);
    }

    private static Compare Cmp(CompareTarget target, CompareResult result, string key, string end = "", long number = 0, string value = "")
    {
        var c = new Compare { Key = B(key), RangeEnd = B(end), Target = target, Result = result };
        switch (target)
        {
            case CompareTarget.Version: c.Version = number; break;
            case CompareTarget.Create: c.CreateRevision = number; break;
            case CompareTarget.Mod: c.ModRevision = number; break;
            case CompareTarget.Lease: c.Lease = number; break;
            case CompareTarget.Value: c.Value = B(value); break;
        }
        return c;
    }

    private static bool Holds(KvStore s, params Compare[] compares) => s.Txn(new TxnRequest { Compare = { compares } }).Unwrap().Succeeded;

    [Fact]
    public void A_compare_over_a_range_reads_its_keys_in_one_batch_and_holds_only_if_it_holds_for_every_key()
    {
        var (s, b) = Filled();
        // Every value is above "v" ("v1" > "v"); only the last key in key order has value v299.
        Assert.True(Holds(s, Cmp(CompareTarget.Value, CompareResult.Greater, K(0), K(300), value: "v")));
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.NotEqual, K(0), K(300), value: "v299")));
        // Version, create and lease over a range read the rows as well, as etcd's range compare does.
        Assert.False(Holds(s, Cmp(CompareTarget.Version, CompareResult.Equal, K(1), K(300), number: 1)));
        Assert.True(Holds(s, Cmp(CompareTarget.Create, CompareResult.Greater, K(0), K(300), number: 1)));
        Assert.True(Holds(s, Cmp(CompareTarget.Lease, CompareResult.Equal, K(0), "\0", number: 0)));
        // An empty range: zero values, and a value compare fails.
        Assert.True(Holds(s, Cmp(CompareTarget.Version, CompareResult.Equal, "x", "y", number: 0)));
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.Equal, "x", "y", value: "")));

        // A read per key (main at 7b3fefd) made 300 point reads per compare (up to the first failing key: 2 for the
        // version compare: k0001, k0002, then k0003 at version 2), no batch.
        Assert.Equal(0, b.PointReads);
        Assert.Equal([300, 300, 299, 300, 300], b.BatchSizes);
    }

    [Fact]
    public void Compares_read_a_chunk_at_a_time_only_when_reached_and_stop_at_the_first_that_fails()
    {
        var (s, b) = Filled(1100);
        // Fails at the 601st key: two chunks of 512 read, the third never.
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.NotEqual, K(0), K(1100), value: V(600))));
        Assert.Equal([512, 512], b.BatchSizes);

        // The index decides the first compare (false): the range compare after it reads nothing.
        b.ResetCounts();
        Assert.False(Holds(s,
            Cmp(CompareTarget.Version, CompareResult.Equal, K(0), number: 99),
            Cmp(CompareTarget.Value, CompareResult.Greater, K(0), K(1100), value: "")));
        Assert.Equal(0, b.Batches + b.PointReads);
    }

    [Fact]
    public void The_value_and_lease_compares_of_one_txn_are_read_together_and_evaluated_in_order()
    {
        var (s, b) = Filled();
        var compares = new List<Compare>();
        for (var i = 0; i < 20; i++)
        {
            compares.Add(Cmp(CompareTarget.Value, CompareResult.Equal, K(i * 7), value: V(i * 7)));
            // Decided by the index: no read.
            compares.Add(Cmp(CompareTarget.Version, CompareResult.Equal, K(i * 7), number: i * 7 % 3 == 0 ? 2 : 1));
        }
        compares.Add(Cmp(CompareTarget.Lease, CompareResult.Equal, K(5), number: 0));
        // The same key twice (a revision read twice in one batch), and a key that does not exist.
        compares.Add(Cmp(CompareTarget.Value, CompareResult.Greater, K(5), value: "v"));
        compares.Add(Cmp(CompareTarget.Value, CompareResult.Less, K(5), value: "w"));
        compares.Add(Cmp(CompareTarget.Version, CompareResult.Equal, "absent", number: 0));
        Assert.True(Holds(s, compares.ToArray()));
        // A point read per value or lease compare before (23), none now.
        Assert.Equal(0, b.PointReads);
        Assert.Equal([23], b.BatchSizes);

        // The same compares with the 11th value compare made to fail: the txn fails, whichever the backend read.
        compares[20] = Cmp(CompareTarget.Value, CompareResult.Equal, K(70), value: "nope");
        b.ResetCounts();
        Assert.False(Holds(s, compares.ToArray()));
        // All 23 rows are read in the first chunk, yet evaluated in order: the compares on k0005 after the failing one
        // would throw on its lost row (k0005's only revision, at 2 + 299 - 5) if they were evaluated.
        b.Lose(new Revision(2 + 299 - 5, 0));
        Assert.False(Holds(s, compares.ToArray()));
        Assert.Equal([23, 23], b.BatchSizes);
        compares[20] = Cmp(CompareTarget.Value, CompareResult.Equal, K(70), value: V(70));
        Assert.Throws<InvalidOperationException>(() => Holds(s, compares.ToArray()));
    }

    [Fact]
    public void A_row_a_compare_needs_and_the_backend_lost_fails_loudly_when_reached_and_not_before()
    {
        var (s, b) = Filled();
        // k0151's only revision: put in reverse from revision 2, so at 2 + (299 - 151).
        b.Lose(new Revision(2 + 299 - 151, 0));
        var e = Assert.Throws<InvalidOperationException>(() => Holds(s, Cmp(CompareTarget.Value, CompareResult.Greater, K(0), K(300), value: "")));
        Assert.Contains("is in the index but not in the backend", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Holds(s,
            Cmp(CompareTarget.Value, CompareResult.Equal, K(1), value: V(1)),
            Cmp(CompareTarget.Lease, CompareResult.Equal, K(151), number: 0)));
        Assert.Contains("is in the index but not in the backend", e.Message);

        // A compare before it fails: the txn answers (its failure branch), though the lost row was in the batch read.
        Assert.False(Holds(s,
            Cmp(CompareTarget.Value, CompareResult.Equal, K(1), value: "nope"),
            Cmp(CompareTarget.Value, CompareResult.Equal, K(151), value: V(151))));
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.Less, K(100), K(200), value: "v149")));
    }

    [Fact]
    public void A_txn_mixing_ranges_a_put_and_a_delete_with_prev_kv_answers_in_op_order_and_reads_in_batches()
    {
        var (s, b) = Filled();
        var delete = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B(K(1)), RangeEnd = B(K(5)), PrevKv = true } };
        var r = s.Txn(new TxnRequest
        {
            Compare = { Cmp(CompareTarget.Value, CompareResult.Greater, K(0), K(10), value: "") },
            Success = { RangeOp(K(0), K(10)), PutOp(K(7), "new"), delete, RangeOp(K(0), K(10)) },
        }).Unwrap();

        Assert.True(r.Succeeded);
        var before = r.Responses[0].ResponseRange;
        Assert.Equal(Enumerable.Range(0, 10).Select(V), before.Kvs.Select(kv => kv.Value.ToStringUtf8()));
        var deleted = r.Responses[2].ResponseDeleteRange;
        Assert.Equal(4, deleted.Deleted);
        Assert.Equal(Enumerable.Range(1, 4).Select(K), deleted.PrevKvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(1, 4).Select(V), deleted.PrevKvs.Select(kv => kv.Value.ToStringUtf8()));
        // The last range sees the txn's own put and delete (rows still in the backend's buffer).
        var after = r.Responses[3].ResponseRange;
        Assert.Equal([K(0), K(5), K(6), K(7), K(8), K(9)], after.Keys());
        Assert.Equal("new", after.Kvs[3].Value.ToStringUtf8());
        Assert.Equal(6, after.Count);

        // Compare, both ranges and the delete's prev_kv: one batch each. The ranges were batched already (session
        // 20); the compare and the prev_kv were 10 + 4 point reads.
        Assert.Equal(0, b.PointReads);
        Assert.Equal([10, 10, 4, 6], b.BatchSizes);
    }

    [Fact]
    public void A_delete_s_prev_kv_and_its_watchers_previous_values_are_read_once_in_one_batch_in_key_order()
    {
        var (s, b) = Filled();
        var events = new List<Event>();
        s.EventSink = events;
        s.EventPrevKv = true;
        var d = s.Delete(K(0), K(300), prevKv: true);

        Assert.Equal(300, d.Deleted);
        Assert.Equal(Enumerable.Range(0, 300).Select(K), d.PrevKvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 300).Select(V), d.PrevKvs.Select(kv => kv.Value.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? 2L : 1L), d.PrevKvs.Select(kv => kv.Version));
        Assert.All(events, ev => Assert.Equal(Event.Types.EventType.Delete, ev.Type));
        Assert.Equal(d.PrevKvs, events.Select(ev => ev.PrevKv));
        Assert.Equal(Enumerable.Range(0, 300).Select(K), events.Select(ev => ev.Kv.Key.ToStringUtf8()));
        // A point read per key for the response and another for the watchers before (600).
        Assert.Equal(0, b.PointReads);
        Assert.Equal([300], b.BatchSizes);

        // Without prev_kv or watchers wanting it, nothing is read.
        var (s2, b2) = Filled();
        Assert.Equal(300, s2.Delete(K(0), K(300)).Deleted);
        Assert.Equal(0, b2.PointReads + b2.Batches);
    }

    [Fact]
    public void A_row_a_delete_s_previous_values_need_and_the_backend_lost_fails_it_before_anything_is_written()
    {
        foreach (var prevKv in new[] { false, true })
        {
            var (s, b) = Filled();
            var events = new List<Event>();
            s.EventSink = events;
            s.EventPrevKv = true;
            var revision = s.CurrentRevision;
            b.Lose(new Revision(2 + 299 - 151, 0)); // k0151

            var e = Assert.Throws<InvalidOperationException>(() => s.Delete(K(0), K(300), prevKv));
            Assert.Contains("is in the index but not in the backend", e.Message);
            // With a point read per key as each key was deleted (main at 7b3fefd), watchers' prev values (prevKv
            // false) failed at k0151 with k0000..k0150 already deleted from the index and their events out.
            Assert.Empty(events);
            Assert.Equal(revision, s.CurrentRevision);
            s.EventSink = null;
            Assert.Equal(300, s.Range(new RangeRequest { Key = B(K(0)), RangeEnd = B(K(300)), CountOnly = true }).Unwrap().Count);
        }
    }

    [Fact]
    public void A_lease_revoke_s_keys_give_watchers_their_previous_values_from_one_batch_in_one_revision()
    {
        var (s, b) = Filled();
        var events = new List<Event>();
        s.EventSink = events;
        s.EventPrevKv = true;
        // The lease's keys in its own order, one named twice, one not alive.
        var keys = Enumerable.Range(0, 200).Select(i => B(K((i * 37) % 300))).ToList();
        keys.Add(B(K(37)));
        keys.Add(B("gone"));
        var revision = s.CurrentRevision;

        Assert.Equal(200, s.DeleteKeysInOneRevision(keys));

        Assert.Equal(revision + 1, s.CurrentRevision);
        Assert.Equal(keys.Take(200).Select(k => k.ToStringUtf8()), events.Select(ev => ev.Kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => V((i * 37) % 300)), events.Select(ev => ev.PrevKv.Value.ToStringUtf8()));
        Assert.All(events, ev => Assert.Equal(revision + 1, ev.Kv.ModRevision));
        // A point read per key before (200); the duplicate is read, not deleted twice.
        Assert.Equal(0, b.PointReads);
        Assert.Equal([201], b.BatchSizes);
    }

    [Fact]
    public void A_watch_catch_up_s_prev_kv_is_read_in_batches_and_is_the_key_before_each_event()
    {
        var (s, b) = Filled();
        var from = s.CurrentRevision + 1;
        for (var i = 0; i < 300; i += 2) s.Put(K(i), $"x{i}");
        s.Delete(K(10), K(40));
        s.Put(K(12), "again"); // created again after its delete: no previous value
        s.Commit(++_index);
        b.ResetCounts();

        var events = new List<Event>();
        var upTo = s.History(from, s.CurrentRevision, 10_000, withPrevKv: true, events);

        Assert.Equal(s.CurrentRevision, upTo);
        Assert.Equal(150 + 30 + 1, events.Count);
        Assert.Equal(0, b.PointReads);
        Assert.Equal([150 + 30], b.BatchSizes);
        foreach (var ev in events)
        {
            var expected = s.Get(ev.Kv.Key.ToStringUtf8(), ev.Kv.ModRevision - 1);
            Assert.Equal(expected, ev.PrevKv);
        }
        Assert.Null(events[^1].PrevKv);
    }

    [Fact]
    public void Previous_values_over_more_than_a_chunk_are_read_a_chunk_at_a_time_and_each_lands_on_its_own_key()
    {
        // Both readers of many previous values share one chunked read (KvStore.ReadRevisionsInto): a delete's (for its
        // response and its watchers) and a catch-up's. 1,100 keys cross two chunk boundaries; each key's value differs,
        // so a value read for the wrong key, or a chunk read twice or skipped, shows.
        var (s, b) = Filled(1100);
        var from = s.CurrentRevision + 1;
        for (var i = 0; i < 1100; i++) s.Put(K(i), $"x{i}");
        s.Commit(++_index);
        b.ResetCounts();

        var events = new List<Event>();
        Assert.Equal(s.CurrentRevision, s.History(from, s.CurrentRevision, 10_000, withPrevKv: true, events));
        Assert.Equal(1100, events.Count);
        Assert.Equal([512, 512, 76], b.BatchSizes);
        Assert.Equal(Enumerable.Range(0, 1100).Select(V), events.Select(ev => ev.PrevKv.Value.ToStringUtf8()));

        b.ResetCounts();
        var sink = new List<Event>();
        s.EventSink = sink;
        s.EventPrevKv = true;
        var d = s.Delete(K(0), K(1100), prevKv: true);
        Assert.Equal(1100, d.Deleted);
        Assert.Equal(0, b.PointReads);
        Assert.Equal([512, 512, 76], b.BatchSizes);
        Assert.Equal(Enumerable.Range(0, 1100).Select(K), d.PrevKvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 1100).Select(i => $"x{i}"), d.PrevKvs.Select(kv => kv.Value.ToStringUtf8()));
        Assert.Equal(d.PrevKvs, sink.Select(ev => ev.PrevKv));
    }
}
