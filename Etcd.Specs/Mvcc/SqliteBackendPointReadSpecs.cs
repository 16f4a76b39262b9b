using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// The backend's point read (a Range reads one per key): what it answers, and what it costs in garbage, since a
/// large range's garbage is what paused the puts beside it (issue 11, docs/benchmarks.md "Reads and writes").
/// </summary>
public sealed class SqliteBackendPointReadSpecs(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mvcc-" + Guid.NewGuid().ToString("N"));
    private string DbPath => Path.Combine(_dir, "member", "mvcc.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static KeyValue Row(long main, byte[] key, byte[] value) =>
        new() { Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(value), CreateRevision = main - 1, ModRevision = main, Version = main % 7 + 1, Lease = main * 3 };

    [Fact]
    public void Committed_rows_read_back_whole_with_empty_and_large_values_and_after_reopening()
    {
        var rows = new[]
        {
            (new Revision(2, 0), Row(2, "a"u8.ToArray(), "one"u8.ToArray()), false),
            (new Revision(2, 1), Row(2, "b"u8.ToArray(), []), false),
            (new Revision(3, 0), Row(3, [0, 255, 0], Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray()), false),
            (new Revision(4, 0), new KeyValue { Key = ByteString.CopyFromUtf8("a"), ModRevision = 4 }, true),
        };
        using (var b = SqliteBackend.Open(DbPath))
        {
            foreach (var (rev, kv, tomb) in rows) b.PutRevision(rev, kv, tomb);
            b.Commit(1);
            foreach (var (rev, kv, _) in rows) Assert.Equal(kv, b.GetRevision(rev));
            Assert.Null(b.GetRevision(new Revision(3, 1)));
            Assert.Null(b.GetRevision(new Revision(1, 0)));
            // A miss leaves the statement ready for the next read.
            Assert.Equal(rows[0].Item2, b.GetRevision(rows[0].Item1));
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            foreach (var (rev, kv, _) in rows) Assert.Equal(kv, b.GetRevision(rev));
            // Reads interleaved with a commit on the same connection see it.
            b.PutRevision(new Revision(5, 0), Row(5, "c"u8.ToArray(), "five"u8.ToArray()), false);
            b.Commit(2);
            Assert.Equal("five", b.GetRevision(new Revision(5, 0))!.Value.ToStringUtf8());
            Assert.Equal("one", b.GetRevision(new Revision(2, 0))!.Value.ToStringUtf8());
        }
        // Dispose closed the file although a read statement had been used: it opens again, and its WAL was folded in.
        Assert.False(File.Exists(DbPath + "-wal") && new FileInfo(DbPath + "-wal").Length > 0);
    }

    [Fact]
    public void A_backend_that_fails_to_open_leaves_no_file_open()
    {
        using (var b = SqliteBackend.Open(DbPath))
        {
            b.PutRevision(new Revision(2, 0), Row(2, "k"u8.ToArray(), "v"u8.ToArray()), false);
            b.Commit(1);
        }
        using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "INSERT OR REPLACE INTO meta (name, value) VALUES ('finished_compact_rev', 'x')";
            cmd.ExecuteNonQuery();
        }
        Assert.ThrowsAny<Exception>(() => SqliteBackend.Open(DbPath));
        // A statement prepared before the failure and never finalized would keep mvcc.db (and its WAL) open in a
        // zombie connection until a finalizer ran; a snapshot install renaming a new file over it meanwhile could
        // then have its WAL removed by that late close.
        var full = Path.GetFullPath(DbPath);
        var open = Directory.GetFiles("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Count(target => target is not null && target.StartsWith(full, StringComparison.Ordinal));
        Assert.Equal(0, open);
    }

    [Fact]
    public void A_keys_only_answer_keeps_only_its_key_not_the_rows_value()
    {
        using var b = SqliteBackend.Open(DbPath);
        b.PutRevision(new Revision(2, 0), Row(2, "k"u8.ToArray(), new byte[1 << 20]), false);
        b.Commit(1);
        var shaped = KvStore.Shape(b.GetRevision(new Revision(2, 0))!, keysOnly: true);
        Assert.Equal("k", shaped.Key.ToStringUtf8());
        Assert.True(shaped.Value.IsEmpty);
        // The point read wraps key and value in one array: a key over it would keep the 1 MiB value alive until the
        // response is sent (`etcdctl get --prefix --keys-only` over large values).
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(shaped.Key.Memory, out var array));
        Assert.Single(array.Array!);
    }

    [Fact]
    public void A_committed_row_costs_its_bytes_and_a_few_small_objects_and_no_more()
    {
        const int n = 2000;
        using var b = SqliteBackend.Open(DbPath);
        var value = new byte[256];
        for (var i = 0; i < n; i++)
            b.PutRevision(new Revision(i + 2, 0), Row(i + 2, System.Text.Encoding.ASCII.GetBytes($"key-{i:D6}"), value), false);
        b.Commit(1);
        for (var i = 0; i < 100; i++) b.GetRevision(new Revision(i + 2, 0)); // warm: statement prepared, code jitted

        var before = GC.GetAllocatedBytesForCurrentThread();
        long bytes = 0;
        for (var i = 0; i < n; i++) bytes += b.GetRevision(new Revision(i + 2, 0))!.Value.Length;
        var perRow = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        output.WriteLine($"allocated per committed 256-byte row: {perRow} B");

        Assert.Equal(256L * n, bytes);
        // One array of key and value (24 + 10 + 256 B), the KeyValue and its two ByteStrings: 432 B when measured.
        // Through SqliteCommand.ExecuteReader (main at 4e07692) the same read allocated 1,128 B.
        Assert.InRange(perRow, 256, 600);
    }

    [Fact]
    public void A_busy_file_is_retried_and_another_error_is_sqlite_s_own()
    {
        using var b = SqliteBackend.Open(DbPath);
        var rev = new Revision(2, 0);
        b.PutRevision(rev, Row(2, "a"u8.ToArray(), "one"u8.ToArray()), false);
        b.Commit(1);

        // Another connection holding the file answers SQLITE_BUSY: the read waits and steps again, as SqliteCommand does.
        var busy = 3;
        var steps = 0;
        using (SqliteBackend.InjectFaults(DbPath, op =>
               {
                   if (op != "read") return null;
                   steps++;
                   return busy-- > 0 ? new Microsoft.Data.Sqlite.SqliteException("database is locked", SQLitePCL.raw.SQLITE_BUSY) : null;
               }))
        {
            Assert.Equal("one", b.GetRevision(rev)!.Value.ToStringUtf8());
        }
        Assert.Equal(4, steps);

        // Any other code is thrown as Microsoft.Data.Sqlite throws it, and the statement is ready for the next read.
        using (SqliteBackend.InjectFaults(DbPath, op => op == "read" ? new Microsoft.Data.Sqlite.SqliteException("disk I/O error", SQLitePCL.raw.SQLITE_IOERR) : null))
        {
            var e = Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => b.GetRevision(rev));
            Assert.Equal(SQLitePCL.raw.SQLITE_IOERR, e.SqliteErrorCode);
        }
        Assert.Equal("one", b.GetRevision(rev)!.Value.ToStringUtf8());
    }
}
