using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Mvcc;
using Etcd.Specs.Support;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Integrity;

/// <summary>
/// HashKV computed as etcd 3.4 computes it. The expected numbers were printed by the real etcd 3.4.23 for the
/// same history (`etcdctl endpoint hashkv [--rev]` after the same etcdctl puts, deletes, txn and compactions);
/// IntegrityConformanceSpecs runs that comparison against the live binary.
/// </summary>
public sealed class HashKvSpecs
{
    /// <summary>
    /// put a 1; put b 2; put a 3; del b; put b 4; txn(value(a) = "3" ? put c 5, del a : put d 6); put e 7 → revision 8.
    /// </summary>
    private static KvStore History(IBackend backend)
    {
        var s = new KvStore(backend);
        var index = 0UL;
        void Commit() => s.Commit(++index);
        s.Put(new PutRequest { Key = B("a"), Value = B("1") }).Unwrap(); Commit();
        s.Put(new PutRequest { Key = B("b"), Value = B("2") }).Unwrap(); Commit();
        s.Put(new PutRequest { Key = B("a"), Value = B("3") }).Unwrap(); Commit();
        s.DeleteRange(new DeleteRangeRequest { Key = B("b") }).Unwrap(); Commit();
        s.Put(new PutRequest { Key = B("b"), Value = B("4") }).Unwrap(); Commit();
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = B("3") });
        txn.Success.Add(PutOp("c", "5"));
        txn.Success.Add(DeleteOp("a"));
        txn.Failure.Add(PutOp("d", "6"));
        s.Txn(txn).Unwrap(); Commit();
        s.Put(new PutRequest { Key = B("e"), Value = B("7") }).Unwrap(); Commit();
        return s;
    }

    private static void Continue(KvStore s, ulong index)
    {
        s.Compact(4).Unwrap(); s.Commit(++index);
        s.DeleteRange(new DeleteRangeRequest { Key = B("c") }).Unwrap(); s.Commit(++index);
        s.Put(new PutRequest { Key = B("a"), Value = B("9") }).Unwrap(); s.Commit(++index);
        s.Compact(7).Unwrap(); s.Commit(++index);
    }

    [Fact]
    public void Equals_etcd_3_4_before_and_after_compactions()
    {
        var s = History(new InMemoryBackend());
        Assert.Equal(8, s.CurrentRevision);
        Assert.Equal(new HashKvResult(186516069u, 8, -1), s.HashKv(0).Unwrap());
        Assert.Equal(1827592406u, s.HashKv(3).Unwrap().Hash);
        Assert.Equal(1084519789u, s.HashKv(1).Unwrap().Hash);

        s.Compact(4).Unwrap();
        s.Commit(100);
        Assert.Equal(new HashKvResult(2038336693u, 8, 4), s.HashKv(0).Unwrap());
        Assert.Equal(1468967122u, s.HashKv(5).Unwrap().Hash);
        Assert.Equal(EtcdErrors.Compacted, s.HashKv(4).Error);
        Assert.Equal(EtcdErrors.Compacted, s.HashKv(3).Error);

        s.DeleteRange(new DeleteRangeRequest { Key = B("c") }).Unwrap(); s.Commit(101);
        s.Put(new PutRequest { Key = B("a"), Value = B("9") }).Unwrap(); s.Commit(102);
        s.Compact(7).Unwrap(); s.Commit(103);
        Assert.Equal(new HashKvResult(3237906830u, 10, 7), s.HashKv(0).Unwrap());
        Assert.Equal(4011946006u, s.HashKv(8).Unwrap().Hash);
        Assert.Equal(EtcdErrors.FutureRev, s.HashKv(100).Error);
    }

    [Fact]
    public void The_sqlite_backend_hashes_like_the_in_memory_one_and_after_a_reopen()
    {
        using var dir = new TempDir("hashkv-sqlite");
        var path = Path.Combine(dir.Path, "mvcc.db");
        using (var backend = SqliteBackend.Open(path))
        {
            var s = History(backend);
            Assert.Equal(186516069u, s.HashKv(0).Unwrap().Hash);
            Continue(s, 50);
            Assert.Equal(3237906830u, s.HashKv(0).Unwrap().Hash);
        }
        using (var reopened = SqliteBackend.Open(path))
        {
            var s = new KvStore(reopened);
            Assert.Equal(new HashKvResult(3237906830u, 10, 7), s.HashKv(0).Unwrap());
            Assert.Equal(4011946006u, s.HashKv(8).Unwrap().Hash);
        }
    }

    [Fact]
    public void A_fresh_store_hashes_only_the_bucket_name_and_a_negative_revision_likewise()
    {
        var s = NewStore();
        var bucketOnly = Crc32C.Compute("key"u8);
        Assert.Equal(new HashKvResult(bucketOnly, 1, -1), s.HashKv(0).Unwrap());
        s.Put("a", "1");
        s.Commit(1);
        Assert.Equal(bucketOnly, s.HashKv(-5).Unwrap().Hash);
        Assert.NotEqual(bucketOnly, s.HashKv(0).Unwrap().Hash);
    }

    [Fact]
    public void Revision_keys_are_etcds_bucket_keys()
    {
        var buf = new byte[18];
        Assert.Equal(17, HashKv.WriteRevisionKey(new Revision(0x0102, 3), false, buf));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 2, (byte)'_', 0, 0, 0, 0, 0, 0, 0, 3 }, buf[..17]);
        Assert.Equal(18, HashKv.WriteRevisionKey(new Revision(7, 0), true, buf));
        Assert.Equal((byte)'t', buf[17]);
    }

    [Fact]
    public void One_changed_value_on_disk_changes_the_hash_from_its_revision_on()
    {
        using var dir = new TempDir("hashkv-tamper");
        var path = Path.Combine(dir.Path, "mvcc.db");
        uint before, below;
        using (var backend = SqliteBackend.Open(path))
        {
            var s = History(backend);
            before = s.HashKv(0).Unwrap().Hash;
            below = s.HashKv(5).Unwrap().Hash;
        }
        // What a flipped bit on disk looks like: revision 6 (b = "4") now says "5".
        using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "UPDATE kv SET value = X'35' WHERE rev_main = 6 AND rev_sub = 0";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        using (var reopened = SqliteBackend.Open(path))
        {
            var s = new KvStore(reopened);
            Assert.NotEqual(before, s.HashKv(0).Unwrap().Hash);
            Assert.Equal(below, s.HashKv(5).Unwrap().Hash);
        }
    }

    [Fact]
    public void A_tombstone_is_hashed_as_etcd_stores_it_with_the_key_alone()
    {
        var stored = HashKv.StoredValue(new KeyValue { Key = B("a"), ModRevision = 7 }, tombstone: true);
        Assert.Equal(new KeyValue { Key = B("a") }, stored);
        var put = new KeyValue { Key = B("a"), Value = B("1"), CreateRevision = 2, ModRevision = 2, Version = 1 };
        Assert.Same(put, HashKv.StoredValue(put, tombstone: false));
    }

    [Fact]
    public void Keep_follows_etcds_keyIndex_keep()
    {
        // a: put 2, put 4, del 5, put 7   b: put 3   c: put 6
        var index = new TreeIndex();
        index.Put(B("a"), new Revision(2, 0));
        index.Put(B("b"), new Revision(3, 0));
        index.Put(B("a"), new Revision(4, 0));
        index.Tombstone(B("a"), new Revision(5, 0));
        index.Put(B("c"), new Revision(6, 0));
        index.Put(B("a"), new Revision(7, 0));
        var keys = index.Between(B(""), B("")).ToList();
        Assert.Equal(new HashSet<Revision> { new(4, 0), new(3, 0) }, HashKv.Keep(keys, 4));
        // At 5 and 6 a's first life ended (its tombstone is not kept) and its second has not begun.
        Assert.Equal(new HashSet<Revision> { new(3, 0) }, HashKv.Keep(keys, 5));
        Assert.Equal(new HashSet<Revision> { new(3, 0), new(6, 0) }, HashKv.Keep(keys, 6));
        Assert.Equal(new HashSet<Revision> { new(7, 0), new(3, 0), new(6, 0) }, HashKv.Keep(keys, 7));
        Assert.Empty(HashKv.Keep(keys, 1));
    }
}
