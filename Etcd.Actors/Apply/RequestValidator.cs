using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
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
        return KvStore.CheckTxnIntervals(r);
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
        // The proposing member replaced id 0 by a generated one (EtcdServer.Lease.cs), as etcd's LeaseGrant does.
        InternalRaftRequest.RequestOneofCase.LeaseGrant => r.LeaseGrant.ID == 0 ? EtcdErrors.LeaseNotFound : null,
        InternalRaftRequest.RequestOneofCase.LeaseRevoke => null,
        // Proposed by a leader's lease manager; one that lost leadership meanwhile may have it forwarded: harmless.
        InternalRaftRequest.RequestOneofCase.LeaseCheckpoint => null,
        // EtcdServer.AlarmAsync proposes every alarm request (list too, as etcd 3.4 does), so a follower forwards it.
        InternalRaftRequest.RequestOneofCase.Alarm => Enum.IsDefined(r.Alarm.Action) && Enum.IsDefined(r.Alarm.Alarm) ? null : EtcdErrors.NotCapable,
        // Auth entries: what the proposing edge made; a password never travels in clear (the edge hashed it).
        InternalRaftRequest.RequestOneofCase.AuthUserAdd =>
            r.AuthUserAdd.Password.Length == 0 && (r.AuthUserAdd.HashedPassword.Length > 0 || r.AuthUserAdd.Options?.NoPassword == true) ? null : EtcdErrors.NotCapable,
        InternalRaftRequest.RequestOneofCase.AuthUserChangePassword =>
            r.AuthUserChangePassword.Password.Length == 0 && r.AuthUserChangePassword.HashedPassword.Length > 0 ? null : EtcdErrors.NotCapable,
        _ when Applier.IsAuthRequest(r.RequestCase) => null,
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
}
