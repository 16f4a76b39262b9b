using System.Runtime.InteropServices;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// A txn's compares (etcd's applyCompare), evaluated before anything of the txn is written. The index answers what it
/// holds (a key's version, create and mod revisions); what only a row holds (a value or lease, and every key of a
/// compare over a range, as etcd's reads its kvs) is read from the backend a batch at a time
/// (SqliteBackend.RangeReads.cs) rather than one point read per key: the revisions every compare of one txn needs are
/// listed first, then read in chunks of <see cref="RangeReadChunk"/> as the compares, in order, reach them.
/// </summary>
public sealed partial class KvStore
{
    // The revisions the compares of one txn read, in compare order, and per compare where its revisions are in that
    // list (Count 0: the index decided it, with Verdict). Cleared after each txn level.
    private readonly List<Revision> _cmpRevs = new();
    private readonly List<(int Start, int Count, bool Verdict)> _cmpPlan = new();

    /// <summary>
    /// Whether every compare of <paramref name="rt"/> holds, stopping at the first that does not. A row a compare needs
    /// that the backend lacks throws when that compare is reached, not before: a txn whose earlier compare failed
    /// answers as it did with a read per key. Rows of later compares read ahead with an earlier chunk are the price of
    /// the batch when an earlier compare fails.
    /// </summary>
    private bool ApplyCompares(TxnRequest rt)
    {
        var compares = rt.Compare;
        if (compares.Count == 0) return true;
        var revs = _cmpRevs;
        var plan = _cmpPlan;
        revs.Clear();
        plan.Clear();
        var kvs = Span<KeyValue?>.Empty;
        try
        {
            var rev = ReadRev;
            foreach (var c in compares) plan.Add(PlanCompare(c, rev, revs));

            var all = CollectionsMarshal.AsSpan(revs);
            var window = 0;
            for (var i = 0; i < plan.Count; i++)
            {
                var (start, count, verdict) = plan[i];
                if (count == 0)
                {
                    if (!verdict) return false;
                    continue;
                }
                var c = compares[i];
                for (var j = start; j < start + count; j++)
                {
                    if (j >= window + kvs.Length)
                    {
                        kvs.Clear();
                        window = j;
                        kvs = ReadRevisionsOrNull(all.Slice(j, Math.Min(RangeReadChunk, all.Length - j)));
                    }
                    var kv = kvs[j - window] ?? throw MissingRow(all[j]);
                    if (!CompareValues(c, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease, kv)) return false;
                }
            }
            return true;
        }
        finally
        {
            // The store's scratch: holds nothing after the compares.
            kvs.Clear();
            revs.Clear();
            plan.Clear();
        }
    }

    /// <summary>
    /// One compare against the index at <paramref name="rev"/>: the revisions it must read appended to
    /// <paramref name="revs"/>, or (none) its verdict. It must hold for every key in the range; with no key, it is
    /// evaluated against zero values, except a VALUE compare, which then always fails.
    /// </summary>
    private (int Start, int Count, bool Verdict) PlanCompare(Compare c, long rev, List<Revision> revs)
    {
        var start = revs.Count;
        var end = IndexEnd(c.RangeEnd);
        if (end is null)
        {
            if (!_index.TryGet(c.Key, rev, out var mod, out var created, out var version))
                return (start, 0, c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null));
            // Version, create and mod revisions are in the index: only value and lease need the backend.
            if (c.Target is not (CompareTarget.Value or CompareTarget.Lease))
                return (start, 0, CompareValues(c, version, created.Main, mod.Main, 0, null));
            revs.Add(mod);
            return (start, 1, false);
        }
        var n = _index.Range(c.Key, end, rev, 0, revs, null);
        if (n == 0) return (start, 0, c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null));
        return (start, n, false);
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
}
