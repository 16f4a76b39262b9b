using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using OpCase = Etcd.Api.Etcdserverpb.RequestOp.RequestOneofCase;

namespace Etcd.Actors.Apply;

/// <summary>
/// The checks etcd's gRPC KV server makes before proposing (v3rpc/key.go), with the same error strings.
/// Pure and static: called on the caller's thread, so a bad request never reaches Raft.
/// </summary>
public static class RequestValidator
{
    public static EtcdError? ValidateRange(RangeRequest r) => r.Key.IsEmpty ? EtcdErrors.EmptyKey : null;

    public static EtcdError? ValidatePut(PutRequest r)
    {
        if (r.Key.IsEmpty) return EtcdErrors.EmptyKey;
        if (r.IgnoreValue && !r.Value.IsEmpty) return EtcdErrors.ValueProvided;
        if (r.IgnoreLease && r.Lease != 0) return EtcdErrors.LeaseProvided;
        return null;
    }

    public static EtcdError? ValidateDeleteRange(DeleteRangeRequest r) => r.Key.IsEmpty ? EtcdErrors.EmptyKey : null;

    /// <summary>etcd does not validate compaction requests before proposing; the store decides at apply.</summary>
    public static EtcdError? ValidateCompaction(CompactionRequest r) => null;

    /// <summary>Size limits and per-op checks (checkTxnRequest), then key overlaps per branch (checkIntervals).</summary>
    public static EtcdError? ValidateTxn(TxnRequest r, int maxTxnOps)
    {
        var err = CheckTxn(r, maxTxnOps);
        if (err is not null) return err;
        err = CheckIntervals(r.Success, out _, out _);
        if (err is not null) return err;
        return CheckIntervals(r.Failure, out _, out _);
    }

    /// <summary>
    /// A proposal another member forwarded to the leader: the same checks its gRPC edge makes before proposing,
    /// made again (RaftActor.Forwarding.cs). Only what an edge proposes may enter the log; any other kind is
    /// refused with "not capable".
    /// </summary>
    public static EtcdError? ValidateProposal(InternalRaftRequest r, int maxTxnOps) => r.RequestCase switch
    {
        InternalRaftRequest.RequestOneofCase.Put => ValidatePut(r.Put),
        InternalRaftRequest.RequestOneofCase.DeleteRange => ValidateDeleteRange(r.DeleteRange),
        InternalRaftRequest.RequestOneofCase.Txn => ValidateTxn(r.Txn, maxTxnOps),
        InternalRaftRequest.RequestOneofCase.Compaction => ValidateCompaction(r.Compaction),
        InternalRaftRequest.RequestOneofCase.ClusterMemberAttrSet => null,
        _ => EtcdErrors.NotCapable,
    };

    /// <summary>Only ranges in both branches: served as a read, not proposed.</summary>
    public static bool IsReadOnly(TxnRequest r) => KvStore.IsReadOnlyTxn(r);

    /// <summary>Every op is a serializable range: served locally without ReadIndex.</summary>
    public static bool IsSerializable(TxnRequest r)
    {
        foreach (var op in r.Success)
            if (op.RequestCase != OpCase.RequestRange || !op.RequestRange.Serializable) return false;
        foreach (var op in r.Failure)
            if (op.RequestCase != OpCase.RequestRange || !op.RequestRange.Serializable) return false;
        return true;
    }

    /// <summary>
    /// max(compares, success, failure) must fit the budget; a nested txn gets what is left of it
    /// (maxTxnOps − this level's count), as etcd's checkTxnRequest does.
    /// </summary>
    private static EtcdError? CheckTxn(TxnRequest r, int maxTxnOps)
    {
        var opc = Math.Max(r.Compare.Count, Math.Max(r.Success.Count, r.Failure.Count));
        if (opc > maxTxnOps) return EtcdErrors.TooManyOps;
        foreach (var c in r.Compare)
            if (c.Key.IsEmpty) return EtcdErrors.EmptyKey;
        foreach (var op in r.Success)
        {
            var err = CheckOp(op, maxTxnOps - opc);
            if (err is not null) return err;
        }
        foreach (var op in r.Failure)
        {
            var err = CheckOp(op, maxTxnOps - opc);
            if (err is not null) return err;
        }
        return null;
    }

    private static EtcdError? CheckOp(RequestOp op, int maxTxnOps) => op.RequestCase switch
    {
        OpCase.RequestRange => ValidateRange(op.RequestRange),
        OpCase.RequestPut => ValidatePut(op.RequestPut),
        OpCase.RequestDeleteRange => ValidateDeleteRange(op.RequestDeleteRange),
        OpCase.RequestTxn => CheckTxn(op.RequestTxn, maxTxnOps),
        // An empty RequestOp: etcd answers "key not found".
        _ => EtcdErrors.KeyNotFound,
    };

    /// <summary>
    /// etcd's checkIntervals: within one branch (nested branches included), a key may be put once and may not
    /// be both put and deleted. The then/else branches of a nested txn exclude each other, so both may put
    /// the same key. Deletes of this level are collected first; nested puts and deletes are merged in op
    /// order; this level's puts are checked last.
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
    /// with ignore_value on a key the delete removed); refusing them here is the safe side of that bug.
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
