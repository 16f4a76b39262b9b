using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Xunit;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// On the SQLite backend, a txn's range compare and a delete's prev_kv read their rows a statement per
/// <see cref="SqliteBackend.BatchRows"/> (SqliteBackend.RangeReads.cs), as a range does, not a statement per key; and a
/// batch may name a revision twice (two compares on one key).
/// </summary>
public sealed class SqliteBatchedTxnReadSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mvcc-" + Guid.NewGuid().ToString("N"));
    private string DbPath => Path.Combine(_dir, "member", "mvcc.db");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>SQLite steps (each the "read" fault point) taken by <paramref name="act"/>.</summary>
    private int Steps(Action act)
    {
        var steps = 0;
        using (SqliteBackend.InjectFaults(DbPath, op =>
               {
                   if (op == "read") steps++;
                   return null;
               }))
            act();
        return steps;
    }

    [Fact]
    public void A_range_compare_and_a_delete_s_prev_kv_take_a_statement_per_batch_not_per_key()
    {
        using var backend = SqliteBackend.Open(DbPath);
        var s = new KvStore(backend);
        // Keys written in reverse, so key order is the opposite of revision order.
        for (var i = 299; i >= 0; i--) s.Put(new PutRequest { Key = B($"k{i:D3}"), Value = B($"v{i}") }).Unwrap();
        s.Commit(1);
        var statements = (300 + SqliteBackend.BatchRows - 1) / SqliteBackend.BatchRows;

        TxnResponse? txn = null;
        var compareSteps = Steps(() => txn = s.Txn(new TxnRequest
        {
            Compare = { new Compare { Key = B("k"), RangeEnd = B("l"), Target = CompareTarget.Value, Result = CompareResult.Greater, Value = B("v") } },
        }).Unwrap());
        Assert.True(txn!.Succeeded);
        // One step per row and one more per statement that ends. A point read per key (main at 7b3fefd): 300 steps,
        // each a statement of its own.
        Assert.Equal(300 + statements, compareSteps);

        DeleteRangeResponse? deleted = null;
        var deleteSteps = Steps(() => deleted = s.DeleteRange(new DeleteRangeRequest { Key = B("k"), RangeEnd = B("l"), PrevKv = true }).Unwrap());
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"k{i:D3}"), deleted!.PrevKvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}"), deleted.PrevKvs.Select(kv => kv.Value.ToStringUtf8()));
        Assert.Equal(300 + statements, deleteSteps);
    }

    [Fact]
    public void A_revision_named_twice_in_one_batch_fills_both_slots()
    {
        using var b = SqliteBackend.Open(DbPath);
        for (var main = 2; main < 12; main++)
            b.PutRevision(new Revision(main, 0), new KeyValue { Key = B($"k{main}"), Value = B($"v{main}"), ModRevision = main, CreateRevision = main, Version = 1 }, false);
        b.Commit(1);
        Revision[] revs = [new(5, 0), new(3, 0), new(5, 0), new(11, 0), new(3, 0), new(99, 0)];
        var into = new KeyValue?[revs.Length];
        b.GetRevisions(revs, into);
        Assert.Equal(["k5", "k3", "k5", "k11", "k3", null], into.Select(kv => kv?.Key.ToStringUtf8()));
    }

    [Fact]
    public void A_revision_named_twice_while_its_row_is_still_in_the_uncommitted_buffer_fills_both_slots()
    {
        using var b = SqliteBackend.Open(DbPath);
        static KeyValue Row(int main) => new() { Key = B($"k{main}"), Value = B($"v{main}"), ModRevision = main, CreateRevision = main, Version = 1 };
        for (var main = 2; main < 6; main++) b.PutRevision(new Revision(main, 0), Row(main), false);
        b.Commit(1);
        // Written by the txn in progress (a put, then a compare or prev_kv of a later txn level reading it): not
        // committed, so only the backend's pending buffer has them.
        for (var main = 6; main < 9; main++) b.PutRevision(new Revision(main, 0), Row(main), false);
        Revision[] revs = [new(7, 0), new(3, 0), new(7, 0), new(8, 0), new(3, 0), new(8, 0), new(99, 0)];
        var into = new KeyValue?[revs.Length];
        b.GetRevisions(revs, into);
        Assert.Equal(["k7", "k3", "k7", "k8", "k3", "k8", null], into.Select(kv => kv?.Key.ToStringUtf8()));
        b.Commit(2);
    }
}
