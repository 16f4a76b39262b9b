using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using SortOrder = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    private static readonly Comparison<KeyValue> ByKey = static (a, b) => ByteKeyComparer.CompareKeys(a.Key, b.Key);
    private static readonly Comparison<KeyValue> ByVersion = static (a, b) => a.Version.CompareTo(b.Version);
    private static readonly Comparison<KeyValue> ByCreate = static (a, b) => a.CreateRevision.CompareTo(b.CreateRevision);
    private static readonly Comparison<KeyValue> ByMod = static (a, b) => a.ModRevision.CompareTo(b.ModRevision);
    private static readonly Comparison<KeyValue> ByValue = static (a, b) => a.Value.Span.SequenceCompareTo(b.Value.Span);

    /// <summary>Range at the current revision (or the request's revision). No header on the response.</summary>
    public KvResult<RangeResponse> Range(RangeRequest r) => RangeCore(r, ReadRev);

    /// <summary>
    /// etcd's applierV3backend.Range over storeTxnRead.rangeKeys. When sorting or filtering, the whole range
    /// is fetched, then filtered, sorted and truncated; otherwise limit+1 keys are fetched so that
    /// <c>more</c> can be set. <c>count</c> is the number of keys in the range at that revision, before the
    /// filters and regardless of the limit.
    /// </summary>
    private KvResult<RangeResponse> RangeCore(RangeRequest r, long curRev)
    {
        var limit = r.Limit;
        if (r.SortOrder != SortOrder.None || r.MinModRevision != 0 || r.MaxModRevision != 0 ||
            r.MinCreateRevision != 0 || r.MaxCreateRevision != 0)
            limit = 0;
        if (limit > 0) limit++;

        var rev = r.Revision;
        if (rev > curRev) return EtcdErrors.FutureRev;
        if (rev <= 0) rev = curRev;
        if (rev < _compactMainRev) return EtcdErrors.Compacted;

        var resp = new RangeResponse();
        var end = IndexEnd(r.RangeEnd);
        if (r.CountOnly)
        {
            resp.Count = _index.Range(r.Key, end, rev, 0, null, null);
            return resp;
        }

        var revs = _revScratch;
        revs.Clear();
        resp.Count = _index.Range(r.Key, end, rev, limit, revs, null);
        if (revs.Count == 0) return resp;

        var filtered = r.MinModRevision != 0 || r.MaxModRevision != 0 || r.MinCreateRevision != 0 || r.MaxCreateRevision != 0;
        var sortOrder = r.SortOrder;
        // mvcc returns key order; a non-key target with no order means ascending by that target.
        if (r.SortTarget != SortTarget.Key && sortOrder == SortOrder.None) sortOrder = SortOrder.Ascend;
        var sorted = sortOrder != SortOrder.None;

        if (!filtered && !sorted)
        {
            // Common case: key order as fetched, truncated to the limit.
            var take = revs.Count;
            if (r.Limit > 0 && take > r.Limit)
            {
                take = (int)r.Limit;
                resp.More = true;
            }
            for (var i = 0; i < take; i++) resp.Kvs.Add(Shape(ReadRevision(revs[i]), r.KeysOnly));
            revs.Clear();
            return resp;
        }

        var kvs = new List<KeyValue>(revs.Count);
        for (var i = 0; i < revs.Count; i++)
        {
            var kv = ReadRevision(revs[i]);
            if (r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision) continue;
            if (r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision) continue;
            if (r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision) continue;
            if (r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision) continue;
            kvs.Add(kv);
        }
        revs.Clear();

        if (sorted)
        {
            var cmp = r.SortTarget switch
            {
                SortTarget.Version => ByVersion,
                SortTarget.Create => ByCreate,
                SortTarget.Mod => ByMod,
                SortTarget.Value => ByValue,
                _ => ByKey,
            };
            // Ties keep ascending key order in both directions: etcd sorts the key-ordered range with an
            // insertion sort for small ranges (stable), so that is what etcdctl users see; we make it total.
            var descend = sortOrder == SortOrder.Descend;
            kvs.Sort((a, b) =>
            {
                var c = descend ? cmp(b, a) : cmp(a, b);
                return c != 0 ? c : ByKey(a, b);
            });
        }

        var n = kvs.Count;
        if (r.Limit > 0 && n > r.Limit)
        {
            n = (int)r.Limit;
            resp.More = true;
        }
        for (var i = 0; i < n; i++) resp.Kvs.Add(Shape(kvs[i], r.KeysOnly));
        return resp;
    }

    /// <summary>keys_only drops the value; the backend's object is shared, so copy rather than mutate.</summary>
    private static KeyValue Shape(KeyValue kv, bool keysOnly) =>
        !keysOnly
            ? kv
            : new KeyValue
            {
                Key = kv.Key,
                CreateRevision = kv.CreateRevision,
                ModRevision = kv.ModRevision,
                Version = kv.Version,
                Lease = kv.Lease,
            };
}
