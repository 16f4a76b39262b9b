using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public sealed class SqliteBackendSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mvcc-" + Guid.NewGuid().ToString("N"));
    private string DbPath => Path.Combine(_dir, "member", "mvcc.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Fresh_database_has_no_rows_and_no_meta()
    {
        using var b = SqliteBackend.Open(DbPath);
        Assert.Equal(0ul, b.ConsistentIndex);
        Assert.Equal(-1, b.CompactedRevision);
        Assert.Equal(-1, b.ScheduledCompaction);
        var rows = 0;
        b.LoadAll((_, _, _) => rows++);
        Assert.Equal(0, rows);
        Assert.True(b.SizeBytes > 0);
        Assert.True(b.SizeInUseBytes <= b.SizeBytes);
    }

    [Fact]
    public void Buffered_writes_are_readable_before_commit_and_durable_after()
    {
        var kv = new KeyValue { Key = B("k"), Value = B("v"), CreateRevision = 2, ModRevision = 2, Version = 1, Lease = 5 };
        using (var b = SqliteBackend.Open(DbPath))
        {
            b.PutRevision(new Revision(2, 0), kv, false);
            Assert.Equal(kv, b.GetRevision(new Revision(2, 0)));
            Assert.Null(b.GetRevision(new Revision(2, 1)));
            b.Commit(7);
            Assert.Equal(kv, b.GetRevision(new Revision(2, 0))); // now from SQLite
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Equal(7ul, b.ConsistentIndex);
            Assert.Equal(kv, b.GetRevision(new Revision(2, 0)));
        }
    }

    [Fact]
    public void Uncommitted_writes_and_their_index_vanish_together()
    {
        using (var b = SqliteBackend.Open(DbPath))
        {
            b.PutRevision(new Revision(2, 0), new KeyValue { Key = B("a"), ModRevision = 2, CreateRevision = 2, Version = 1 }, false);
            b.Commit(1);
            b.PutRevision(new Revision(3, 0), new KeyValue { Key = B("b"), ModRevision = 3, CreateRevision = 3, Version = 1 }, false);
            // no commit: a crash here loses revision 3 and keeps consistent index 1
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Equal(1ul, b.ConsistentIndex);
            Assert.Null(b.GetRevision(new Revision(3, 0)));
            Assert.NotNull(b.GetRevision(new Revision(2, 0)));
        }
    }

    [Fact]
    public void Writes_out_of_revision_order_are_refused()
    {
        using var b = SqliteBackend.Open(DbPath);
        b.PutRevision(new Revision(3, 0), new KeyValue { Key = B("a") }, false);
        Assert.Throws<InvalidOperationException>(() => b.PutRevision(new Revision(2, 5), new KeyValue { Key = B("b") }, false));
    }

    [Fact]
    public void Reopen_rebuilds_an_identical_store()
    {
        long rev;
        RangeResponse before;
        RangeResponse beforeOld;
        using (var b = SqliteBackend.Open(DbPath))
        {
            var s = new KvStore(b);
            for (var i = 0; i < 50; i++) s.Put("key" + (i % 7), "v" + i);
            s.Delete("key3");
            s.Txn(new TxnRequest { Success = { PutOp("t1", "x"), PutOp("t2", ""), DeleteOp("key4") } }).Unwrap();
            s.Compact(30).Unwrap();
            s.Put("key3", "again");
            s.Commit(42);
            rev = s.CurrentRevision;
            before = s.Range(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0) }).Unwrap();
            beforeOld = s.Range(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), Revision = 30 }).Unwrap();
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            var s = new KvStore(b);
            Assert.Equal(rev, s.CurrentRevision);
            Assert.Equal(30, s.CompactedRevision);
            Assert.Equal(42ul, s.ConsistentIndex);
            Assert.Equal(before, s.Range(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0) }).Unwrap());
            Assert.Equal(beforeOld, s.Range(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), Revision = 30 }).Unwrap());
            Assert.Equal("", s.Get("t2")!.Value.ToStringUtf8());
            Assert.Equal(1, s.Get("key3")!.Version);
        }
    }

    [Fact]
    public void Compaction_is_scheduled_with_its_batch_and_deletes_rows_in_later_batches()
    {
        using var b = SqliteBackend.Open(DbPath);
        var s = new KvStore(b);
        s.Put("a", "1");
        s.Put("a", "2");
        s.Put("a", "3");
        s.Commit(1);
        s.Compact(3).Unwrap();
        s.Commit(2);
        Assert.Equal(3, b.ScheduledCompaction);
        Assert.Equal(-1, b.CompactedRevision);
        Assert.Equal(3, Rows(b).Count);

        var batches = s.FinishCompaction(limit: 2);
        Assert.Equal(new[] { new Revision(3, 0), new Revision(4, 0) }, Rows(b));
        Assert.Equal(3, b.CompactedRevision);
        Assert.Equal(3, b.ScheduledCompaction);
        Assert.Equal(2ul, b.ConsistentIndex);
        // Rows 2 and 3 (both at or below 3) fill the first batch; the second sees none and finishes.
        Assert.Equal(new[] { (2, 1, false), (0, 0, true) }, batches.Select(x => (x.Scanned, x.Deleted, x.Done)));
    }

    private static List<Revision> Rows(SqliteBackend b)
    {
        var revs = new List<Revision>();
        b.LoadAll((r, _, _) => revs.Add(r));
        return revs;
    }
}
