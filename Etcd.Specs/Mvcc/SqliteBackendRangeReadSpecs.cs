using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A range's rows read a batch per statement (SqliteBackend.RangeReads.cs) instead of one point read per key (issue 11,
/// docs/benchmarks.md "Range throughput"): each revision's row lands in its own slot whatever order the revisions come
/// in (a range's are in key order), a revision with no row leaves its slot empty, buffered rows are seen, and a range
/// read through the store makes no point read at all.
/// </summary>
public sealed class SqliteBackendRangeReadSpecs(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mvcc-" + Guid.NewGuid().ToString("N"));
    private string DbPath => Path.Combine(_dir, "member", "mvcc.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static KeyValue Row(Revision rev, string key, int valueBytes) => new()
    {
        Key = ByteString.CopyFromUtf8(key),
        Value = ByteString.CopyFrom(Enumerable.Range(0, valueBytes).Select(i => (byte)(i * 31 + rev.Main)).ToArray()),
        CreateRevision = rev.Main - 1,
        ModRevision = rev.Main,
        Version = rev.Sub + 1,
        Lease = rev.Main * 3,
    };

    [Fact]
    public void Each_revision_s_row_lands_in_its_slot_in_any_order_across_batches_with_missing_rows_empty()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using var b = SqliteBackend.Open(DbPath);
        // Main revisions with several subs, as a txn writes them; values from empty to a few KiB.
        var rows = new List<(Revision Rev, KeyValue Kv)>();
        for (long main = 2; main < 400; main++)
        {
            var subs = random.Next(1, 4);
            for (var sub = 0; sub < subs; sub++)
            {
                var rev = new Revision(main, sub);
                var kv = Row(rev, $"k{random.Next():x8}", random.Next(4) == 0 ? 0 : random.Next(1, 4000));
                rows.Add((rev, kv));
                b.PutRevision(rev, kv, tombstone: false);
            }
        }
        b.Commit(1);

        var stored = rows.ToDictionary(r => r.Rev, r => r.Kv);
        var batch = SqliteBackend.BatchRows;
        foreach (var n in new[] { 0, 2, 3, batch - 1, batch, batch + 1, 2 * batch + 5, rows.Count })
        {
            // A shuffled subset with, every so often, a revision that has no row (a sub never written, or far past the end).
            var revs = rows.Select(r => r.Rev).OrderBy(_ => random.Next()).Take(n).ToArray();
            for (var i = 0; i < revs.Length; i += random.Next(5, 40))
                revs[i] = random.Next(2) == 0 ? new Revision(revs[i].Main, 7) : new Revision(10_000 + i, 0);
            var into = new KeyValue?[n];
            Array.Fill(into, new KeyValue { Key = ByteString.CopyFromUtf8("stale") });

            b.GetRevisions(revs, into);

            for (var i = 0; i < n; i++)
                Assert.Equal(stored.GetValueOrDefault(revs[i]), into[i]);
        }
    }

    [Fact]
    public void A_range_s_rows_cost_their_bytes_and_three_small_objects_each_with_no_array_per_row()
    {
        const int n = 2000;
        using var b = SqliteBackend.Open(DbPath);
        for (var i = 0; i < n; i++) b.PutRevision(new Revision(i + 2, 0), Row(new Revision(i + 2, 0), $"key-{i:D6}", 256), false);
        b.Commit(1);
        var revs = Enumerable.Range(2, n).Select(m => new Revision(m, 0)).ToArray();
        var into = new KeyValue?[n];
        b.GetRevisions(revs, into); // warm: statement prepared, code jitted

        var before = GC.GetAllocatedBytesForCurrentThread();
        b.GetRevisions(revs, into);
        var perRow = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        output.WriteLine($"allocated per committed 256-byte row read in a batch: {perRow} B");

        Assert.All(into, kv => Assert.Equal(256, kv!.Value.Length));
        // The KeyValue and its two ByteStrings over a shared slab: 10 + 256 B of bytes and ~140 B of objects (a point
        // read per row, main at ea4b71c, also allocated an array per row: 432 B).
        Assert.InRange(perRow, 266, 425);
    }

    [Fact]
    public void Buffered_rows_are_read_with_the_committed_ones()
    {
        using var b = SqliteBackend.Open(DbPath);
        for (var main = 2; main < 200; main++) b.PutRevision(new Revision(main, 0), Row(new Revision(main, 0), $"c{main:D3}", 10), false);
        b.Commit(1);
        for (var main = 200; main < 260; main++) b.PutRevision(new Revision(main, 0), Row(new Revision(main, 0), $"p{main:D3}", 10), false);

        var revs = Enumerable.Range(150, 120).Select(m => new Revision(m, 0)).Reverse().ToArray();
        var into = new KeyValue?[revs.Length];
        b.GetRevisions(revs, into);
        for (var i = 0; i < revs.Length; i++)
        {
            var main = revs[i].Main;
            if (main >= 260) Assert.Null(into[i]);
            else Assert.Equal(main < 200 ? $"c{main:D3}" : $"p{main:D3}", into[i]!.Key.ToStringUtf8());
        }

        // Only buffered revisions: no statement runs; and a slot count that does not match is refused.
        var pendingOnly = new KeyValue?[2];
        b.GetRevisions([new Revision(201, 0), new Revision(202, 0)], pendingOnly);
        Assert.Equal(["p201", "p202"], pendingOnly.Select(kv => kv!.Key.ToStringUtf8()));
        Assert.Throws<ArgumentException>(() => b.GetRevisions([new Revision(2, 0)], new KeyValue?[2]));
    }

    [Fact]
    public void The_statement_seeks_the_primary_key_once_per_revision_rather_than_scanning_the_table()
    {
        using (var b = SqliteBackend.Open(DbPath))
        {
            b.PutRevision(new Revision(2, 0), Row(new Revision(2, 0), "a", 1), false);
            b.Commit(1);
        }
        using var conn = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + SqliteBackend.BuildBatchReadSql(SqliteBackend.BatchRows);
        var plan = new List<string>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read()) plan.Add(reader.GetString(3));
        output.WriteLine(string.Join("\n", plan));
        Assert.Contains(plan, line => line.StartsWith("SEARCH kv USING PRIMARY KEY (rev_main=? AND rev_sub=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN kv", StringComparison.Ordinal));
    }

    [Fact]
    public void A_busy_file_mid_batch_is_retried_and_every_row_read_once_into_its_slot()
    {
        using var b = SqliteBackend.Open(DbPath);
        for (var main = 2; main < 50; main++) b.PutRevision(new Revision(main, 0), Row(new Revision(main, 0), $"k{main:D2}", 20), false);
        b.Commit(1);
        var revs = Enumerable.Range(2, 48).Select(m => new Revision(m, 0)).Reverse().ToArray();
        var into = new KeyValue?[revs.Length];
        var steps = 0;
        // SQLITE_BUSY on the fifth step, after four rows came back: the statement starts again from the first row.
        using (SqliteBackend.InjectFaults(DbPath, op => op == "read" && ++steps == 5 ? new SqliteException("database is locked", SQLitePCL.raw.SQLITE_BUSY) : null))
            b.GetRevisions(revs, into);
        Assert.Equal(revs.Select(r => $"k{r.Main:D2}"), into.Select(kv => kv!.Key.ToStringUtf8()));
        Assert.True(steps > revs.Length, $"{steps} steps");
    }

    [Fact]
    public void A_range_through_the_store_reads_its_rows_in_batches_not_a_point_read_per_key()
    {
        using var backend = SqliteBackend.Open(DbPath);
        var s = new KvStore(backend);
        // Keys written in reverse, so key order is the opposite of revision order.
        for (var i = 299; i >= 0; i--) s.Put(new PutRequest { Key = ByteString.CopyFromUtf8($"k{i:D3}"), Value = ByteString.CopyFromUtf8($"v{i}") }).Unwrap();
        s.Commit(1);

        var steps = 0;
        RangeResponse all;
        using (SqliteBackend.InjectFaults(DbPath, op =>
               {
                   if (op == "read") steps++;
                   return null;
               }))
            all = s.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("k"), RangeEnd = ByteString.CopyFromUtf8("l") }).Unwrap();

        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"k{i:D3}"), all.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}"), all.Kvs.Select(kv => kv.Value.ToStringUtf8()));
        // One step per row and one more per statement that ends: ceil(300 / BatchRows) statements. A point read per
        // key (main at ea4b71c) makes 300 steps that each end a statement.
        var statements = (300 + SqliteBackend.BatchRows - 1) / SqliteBackend.BatchRows;
        Assert.Equal(300 + statements, steps);
    }

    [Fact]
    public void A_row_the_index_names_but_the_backend_lost_is_the_store_s_invariant_error_not_a_short_answer()
    {
        using var backend = SqliteBackend.Open(DbPath);
        var s = new KvStore(backend);
        for (var i = 0; i < 10; i++) s.Put(new PutRequest { Key = ByteString.CopyFromUtf8($"k{i}"), Value = ByteString.CopyFromUtf8("v") }).Unwrap();
        s.Commit(1);
        using (var conn = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            // k4 was the fifth put: main revision 6.
            cmd.CommandText = "DELETE FROM kv WHERE rev_main = 6";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        var e = Assert.Throws<InvalidOperationException>(() => s.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("k"), RangeEnd = ByteString.CopyFromUtf8("l") }));
        Assert.Contains("is in the index but not in the backend", e.Message);
        // The rest still reads.
        Assert.Equal(4, s.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("k0"), RangeEnd = ByteString.CopyFromUtf8("k4") }).Unwrap().Kvs.Count);
    }
    [Fact]
    public void A_stepped_range_on_sqlite_answers_as_at_its_start_while_keys_are_rewritten_deleted_and_compacted_between_steps()
    {
        using var backend = SqliteBackend.Open(DbPath);
        var s = new KvStore(backend);
        ulong index = 0;
        for (var i = 0; i < 700; i++) s.Put($"k{(i * 7919) % 700:D3}", $"v1-{i}");
        s.Commit(++index);
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8("k"), RangeEnd = ByteString.CopyFromUtf8("l") };
        var expected = s.Range(request).Unwrap();

        var cursor = s.BeginRange(request, stepRows: 150).Unwrap();
        var steps = 0;
        while (!cursor.Done)
        {
            // Every key the range has yet to read gets a newer revision or is deleted, then history is compacted
            // above the read: the batch read must still find the old rows (the compaction waits for the read).
            for (var i = 0; i < 700; i += 3) s.Put($"k{i:D3}", $"later-{steps}");
            s.Delete($"k{3 * steps + 1:D3}");
            s.Commit(++index);
            if (!s.CompactionPending) s.Compact(s.CurrentRevision).Unwrap();
            s.Commit(++index);
            Assert.True(s.CompactionHeldByReads);
            cursor.Step(150);
            steps++;
        }
        Assert.Equal(expected, cursor.Finish());
        Assert.True(steps >= 4, $"{steps} steps");
        s.FinishCompaction();
        s.Commit(++index);
        Assert.Equal(700, s.Range(request).Unwrap().Count + steps);
    }
}
