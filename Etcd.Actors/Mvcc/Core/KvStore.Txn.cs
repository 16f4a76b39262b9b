using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;
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
    private readonly List<Revision> _cmpRevs = new();

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

    private bool ApplyCompares(TxnRequest rt)
    {
        foreach (var c in rt.Compare)
            if (!ApplyCompare(c)) return false;
        return true;
    }

    /// <summary>
    /// One compare (etcd's applyCompare): it must hold for every key in the range; with no key, it is
    /// evaluated against zero values, except a VALUE compare, which then always fails.
    /// </summary>
    private bool ApplyCompare(Compare c)
    {
        var rev = ReadRev;
        var end = IndexEnd(c.RangeEnd);
        if (end is null)
        {
            if (!_index.TryGet(c.Key, rev, out var mod, out var created, out var version))
                return c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null);
            // Version, create and mod revisions are in the index: only value and lease need the backend.
            if (c.Target is CompareTarget.Value or CompareTarget.Lease)
            {
                var kv = ReadRevision(mod);
                return CompareValues(c, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease, kv);
            }
            return CompareValues(c, version, created.Main, mod.Main, 0, null);
        }

        var revs = _cmpRevs;
        revs.Clear();
        _index.Range(c.Key, end, rev, 0, revs, null);
        try
        {
            if (revs.Count == 0) return c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null);
            for (var i = 0; i < revs.Count; i++)
            {
                var kv = ReadRevision(revs[i]);
                if (!CompareValues(c, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease, kv)) return false;
            }
            return true;
        }
        finally
        {
            revs.Clear();
        }
    }

    /// <summary>etcd's compareKV; a target_union that does not match the target compares against zero.</summary>
    private static bool CompareValues(Compare c, long version, long create, long mod, long lease, KeyValue? kv)
    {
        int result;
        switch (c.Target)
        {
            case CompareTarget.Value:
                var have = kv is null ? default : kv.Value.Span;
                result = have.SequenceCompareTo(c.Value.Span);
                break;
            case CompareTarget.Create:
                result = create.CompareTo(c.CreateRevision);
                break;
            case CompareTarget.Mod:
                result = mod.CompareTo(c.ModRevision);
                break;
            case CompareTarget.Version:
                result = version.CompareTo(c.Version);
                break;
            case CompareTarget.Lease:
                result = lease.CompareTo(c.Lease);
                break;
            default:
                return true;
        }
        return c.Result switch
        {
            CompareResult.Equal => result == 0,
            CompareResult.NotEqual => result != 0,
            CompareResult.Greater => result > 0,
            CompareResult.Less => result < 0,
            _ => true,
        };
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
