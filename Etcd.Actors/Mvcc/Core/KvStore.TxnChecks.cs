using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using OpCase = Etcd.Api.Etcdserverpb.RequestOp.RequestOneofCase;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// etcd's checkIntervals (v3rpc/key.go), shared by the gRPC edge (<c>Apply/RequestValidator</c>) and the apply
/// path (<see cref="Txn"/>). At apply it is what keeps a txn from failing half-way: a put with ignore_value or
/// ignore_lease after a delete of its key in the same branch would find no key once the delete ran, after
/// other operations of the txn were already written. etcd 3.4 panics there; a committed entry that reaches
/// apply without the edge's check (forwarded by another member, or an older member's log) must get the edge's
/// error instead and leave the store as it was. Deterministic: every member reaches the same verdict.
/// </summary>
public sealed partial class KvStore
{
    /// <summary>
    /// Within one branch (nested branches included), a key may be put once and may not be both put and deleted;
    /// the then/else branches of a nested txn exclude each other, so both may put the same key.
    /// </summary>
    public static EtcdError? CheckTxnIntervals(TxnRequest r)
    {
        var err = CheckIntervals(r.Success, out _, out _);
        return err ?? CheckIntervals(r.Failure, out _, out _);
    }

    /// <summary>
    /// Deletes of this level are collected first; nested puts and deletes are merged in op order; this level's
    /// puts are checked last (etcd's order, so the same txns pass).
    /// </summary>
    private static EtcdError? CheckIntervals(IList<RequestOp> ops, out HashSet<ByteString> puts, out List<(ByteString Key, ByteString End)> dels)
    {
        dels = new List<(ByteString, ByteString)>();
        puts = new HashSet<ByteString>();
        foreach (var op in ops)
            if (op.RequestCase == OpCase.RequestDeleteRange)
                dels.Add((op.RequestDeleteRange.Key, op.RequestDeleteRange.RangeEnd));

        foreach (var op in ops)
        {
            if (op.RequestCase != OpCase.RequestTxn) continue;
            var err = CheckIntervals(op.RequestTxn.Success, out var putsThen, out var delsThen);
            if (err is not null) return err;
            err = CheckIntervals(op.RequestTxn.Failure, out var putsElse, out var delsElse);
            if (err is not null) return err;
            foreach (var k in putsThen)
            {
                if (puts.Contains(k) || Intersects(dels, k)) return EtcdErrors.DuplicateKey;
                puts.Add(k);
            }
            foreach (var k in putsElse)
            {
                // Overlap with the then branch is fine: only one of them runs.
                if (puts.Contains(k) && !putsThen.Contains(k)) return EtcdErrors.DuplicateKey;
                if (Intersects(dels, k)) return EtcdErrors.DuplicateKey;
                puts.Add(k);
            }
            dels.AddRange(delsThen);
            dels.AddRange(delsElse);
        }

        foreach (var op in ops)
        {
            if (op.RequestCase != OpCase.RequestPut) continue;
            var k = op.RequestPut.Key;
            if (puts.Contains(k) || Intersects(dels, k)) return EtcdErrors.DuplicateKey;
            puts.Add(k);
        }
        return null;
    }

    /// <summary>
    /// Whether a delete covers key <paramref name="k"/>: a point delete when its end is empty, every key from
    /// its start when the end is "\0" (from-key), else the half-open interval compared bytewise. etcd 3.4
    /// treats the from-key case as an empty interval and so accepts txns it then panics applying (a put
    /// with ignore_value on a key the delete removed); refusing them is the safe side of that bug.
    /// </summary>
    private static bool Intersects(List<(ByteString Key, ByteString End)> dels, ByteString k)
    {
        foreach (var (key, end) in dels)
        {
            if (end.IsEmpty)
            {
                if (key.Equals(k)) return true;
            }
            else if (end.Length == 1 && end[0] == 0)
            {
                if (ByteKeyComparer.CompareKeys(key, k) <= 0) return true;
            }
            else if (ByteKeyComparer.CompareKeys(key, k) <= 0 && ByteKeyComparer.CompareKeys(k, end) < 0)
            {
                return true;
            }
        }
        return false;
    }
}
