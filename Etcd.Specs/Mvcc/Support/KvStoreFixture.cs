using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Specs.Mvcc;

/// <summary>Shorthands for KvStore specs.</summary>
internal static class Kv
{
    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public static KvStore NewStore(InMemoryBackend? backend = null, Func<long, bool>? leases = null) =>
        new(backend ?? new InMemoryBackend(), leases);

    public static PutResponse Put(this KvStore s, string key, string value, long lease = 0, bool prevKv = false) =>
        s.Put(new PutRequest { Key = B(key), Value = B(value), Lease = lease, PrevKv = prevKv }).Unwrap();

    public static DeleteRangeResponse Delete(this KvStore s, string key, string end = "", bool prevKv = false) =>
        s.DeleteRange(new DeleteRangeRequest { Key = B(key), RangeEnd = B(end), PrevKv = prevKv }).Unwrap();

    public static KeyValue? Get(this KvStore s, string key, long rev = 0)
    {
        var r = s.Range(new RangeRequest { Key = B(key), Revision = rev }).Unwrap();
        return r.Kvs.Count == 0 ? null : r.Kvs[0];
    }

    public static string[] Keys(this RangeResponse r) => r.Kvs.Select(kv => kv.Key.ToStringUtf8()).ToArray();

    public static RequestOp PutOp(string key, string value) =>
        new() { RequestPut = new PutRequest { Key = B(key), Value = B(value) } };

    public static RequestOp DeleteOp(string key, string end = "") =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = B(key), RangeEnd = B(end) } };

    public static RequestOp RangeOp(string key, string end = "") =>
        new() { RequestRange = new RangeRequest { Key = B(key), RangeEnd = B(end) } };

    public static RequestOp TxnOp(TxnRequest t) => new() { RequestTxn = t };

    /// <summary>Runs the pending compaction's batches to the end (what MvccStoreActor does between applies); returns them.</summary>
    public static List<CompactionBatch> FinishCompaction(this KvStore s, int limit = 1000)
    {
        var batches = new List<CompactionBatch>();
        while (s.CompactionPending)
        {
            batches.Add(s.CompactNextBatch(limit));
            if (batches.Count > 1_000_000) throw new InvalidOperationException("compaction does not finish");
        }
        return batches;
    }
}
