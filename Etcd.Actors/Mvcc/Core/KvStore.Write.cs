using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    /// <summary>
    /// A Put as its own write (etcd's applierV3backend.Put with no txn): the lease must exist; with
    /// ignore_value/ignore_lease the key must exist and its value/lease are kept.
    /// </summary>
    public KvResult<PutResponse> Put(PutRequest p)
    {
        if (p.Lease != 0 && !_leaseExists(p.Lease)) return EtcdErrors.LeaseNotFound;
        BeginWrite();
        var result = PutOp(p);
        EndWrite();
        return result;
    }

    /// <summary>A DeleteRange as its own write; deleting nothing leaves the revision alone.</summary>
    public KvResult<DeleteRangeResponse> DeleteRange(DeleteRangeRequest d)
    {
        BeginWrite();
        var resp = DeleteOp(d);
        EndWrite();
        return resp;
    }

    /// <summary>The put itself, inside a write that has begun (standalone or a txn branch).</summary>
    private KvResult<PutResponse> PutOp(PutRequest p)
    {
        var resp = new PutResponse();
        var value = p.Value;
        var lease = p.Lease;
        if (p.IgnoreValue || p.IgnoreLease || p.PrevKv)
        {
            var prev = GetAt(p.Key, ReadRev);
            if (p.IgnoreValue || p.IgnoreLease)
            {
                if (prev is null) return EtcdErrors.KeyNotFound;
                if (p.IgnoreValue) value = prev.Value;
                if (p.IgnoreLease) lease = prev.Lease;
            }
            if (p.PrevKv && prev is not null) resp.PrevKv = prev;
        }
        PutKey(p.Key, value, lease);
        return resp;
    }

    /// <summary>The delete itself, inside a write that has begun.</summary>
    private DeleteRangeResponse DeleteOp(DeleteRangeRequest d)
    {
        var resp = new DeleteRangeResponse();
        // prev_kv: the keys' values before the delete, read with the deletes' own index range and in batches.
        resp.Deleted = DeleteKeys(d.Key, IndexEnd(d.RangeEnd), d.PrevKv ? resp.PrevKvs : null);
        return resp;
    }
}
