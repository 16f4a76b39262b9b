using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using OpCase = Etcd.Api.Etcdserverpb.RequestOp.RequestOneofCase;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// Txn, following etcd 3.4's applierV3backend.Txn: first every compare of the txn tree is evaluated against
/// the state before the txn (the "txn path": which branch each executed txn takes, in pre-order); then the
/// puts and ranges of the chosen branches are checked (missing keys for ignore_*, leases, range revisions)
/// so that a failing txn changes nothing; only then are the operations applied, in order, all at the one
/// main revision <see cref="CurrentRevision"/> + 1.
/// </summary>
public sealed partial class KvStore
{
    /// <summary>A txn that only ranges (no puts, deletes or nested txns): etcd serves it like a Range.</summary>
    public static bool IsReadOnlyTxn(TxnRequest r)
    {
        foreach (var op in r.Success)
            if (op.RequestCase != OpCase.RequestRange) return false;
        foreach (var op in r.Failure)
            if (op.RequestCase != OpCase.RequestRange) return false;
        return true;
    }

    /// <summary>
    /// Every check that can fail comes before the first write (intervals, then puts and ranges of the chosen
    /// branches), so a txn either applies whole or returns its error with nothing changed; a failure while
    /// writing is a broken invariant and throws.
    /// </summary>
    public KvResult<TxnResponse> Txn(TxnRequest rt)
    {
        var readOnly = IsReadOnlyTxn(rt);
        if (!readOnly && CheckTxnIntervals(rt) is { } overlap) return overlap;

        var path = new List<bool>(1);
        ComputePath(rt, path);

        var pos = 0;
        if (!readOnly)
        {
            var err = CheckPuts(rt, path, ref pos);
            if (err is not null) return err;
        }
        pos = 0;
        var rangeErr = CheckRanges(rt, path, ref pos);
        if (rangeErr is not null) return rangeErr;

        BeginWrite();
        pos = 0;
        var resp = ApplyTxn(rt, path, ref pos);
        EndWrite();
        return resp;
    }

    /// <summary>Appends, in pre-order, whether each txn that will execute takes its success branch.</summary>
    private void ComputePath(TxnRequest rt, List<bool> path)
    {
        var ok = ApplyCompares(rt);
        path.Add(ok);
        foreach (var op in ok ? rt.Success : rt.Failure)
            if (op.RequestCase == OpCase.RequestTxn) ComputePath(op.RequestTxn, path);
    }

    /// <summary>etcd's checkRequestPut over the chosen branches, before anything is written.</summary>
    private EtcdError? CheckPuts(TxnRequest rt, List<bool> path, ref int pos)
    {
        var ops = path[pos++] ? rt.Success : rt.Failure;
        foreach (var op in ops)
        {
            if (op.RequestCase == OpCase.RequestTxn)
            {
                var err = CheckPuts(op.RequestTxn, path, ref pos);
                if (err is not null) return err;
                continue;
            }
            if (op.RequestCase != OpCase.RequestPut) continue;
            var p = op.RequestPut;
            if ((p.IgnoreValue || p.IgnoreLease) && !_index.TryGet(p.Key, ReadRev, out _, out _, out _))
                return EtcdErrors.KeyNotFound;
            if (p.Lease != 0 && !_leaseExists(p.Lease)) return EtcdErrors.LeaseNotFound;
        }
        return null;
    }

    /// <summary>etcd's checkRange: ranges at a future or compacted revision fail the whole txn up front.</summary>
    private EtcdError? CheckRanges(TxnRequest rt, List<bool> path, ref int pos)
    {
        var ops = path[pos++] ? rt.Success : rt.Failure;
        foreach (var op in ops)
        {
            if (op.RequestCase == OpCase.RequestTxn)
            {
                var err = CheckRanges(op.RequestTxn, path, ref pos);
                if (err is not null) return err;
                continue;
            }
            if (op.RequestCase != OpCase.RequestRange) continue;
            var rev = op.RequestRange.Revision;
            if (rev == 0) continue;
            if (rev > ReadRev) return EtcdErrors.FutureRev;
            if (rev < _compactMainRev) return EtcdErrors.Compacted;
        }
        return null;
    }

    /// <summary>Applies the chosen branch of <paramref name="rt"/> (etcd's applyTxn + newTxnResp).</summary>
    private TxnResponse ApplyTxn(TxnRequest rt, List<bool> path, ref int pos)
    {
        var succeeded = path[pos++];
        var resp = new TxnResponse { Succeeded = succeeded };
        foreach (var op in succeeded ? rt.Success : rt.Failure)
        {
            var respOp = new ResponseOp();
            switch (op.RequestCase)
            {
                case OpCase.RequestRange:
                {
                    var curRev = ReadRev;
                    var r = RangeCore(op.RequestRange, curRev);
                    var rr = r.Value ?? throw new InvalidOperationException($"unexpected error during txn: {r.Error}");
                    rr.Header = new ResponseHeader { Revision = curRev };
                    respOp.ResponseRange = rr;
                    break;
                }
                case OpCase.RequestPut:
                {
                    var r = PutOp(op.RequestPut);
                    var pr = r.Value ?? throw new InvalidOperationException($"unexpected error during txn: {r.Error}");
                    pr.Header = new ResponseHeader { Revision = _currentRev + 1 };
                    respOp.ResponsePut = pr;
                    break;
                }
                case OpCase.RequestDeleteRange:
                {
                    var dr = DeleteOp(op.RequestDeleteRange);
                    dr.Header = new ResponseHeader { Revision = ReadRev };
                    respOp.ResponseDeleteRange = dr;
                    break;
                }
                case OpCase.RequestTxn:
                {
                    var tr = ApplyTxn(op.RequestTxn, path, ref pos);
                    // etcd gives nested txn responses an empty header.
                    tr.Header = new ResponseHeader();
                    respOp.ResponseTxn = tr;
                    break;
                }
            }
            resp.Responses.Add(respOp);
        }
        return resp;
    }
}
