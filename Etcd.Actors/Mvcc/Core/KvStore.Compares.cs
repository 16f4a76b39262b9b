using System.Runtime.InteropServices;
using Google.Protobuf.Collections;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// A txn's compares (etcd's applyCompare), evaluated in order before anything of the txn is written, stopping at the
/// first that fails. The index answers what it holds (a key's version, create and mod revisions); what only a row holds
/// (a value or lease, and every key of a compare over a range, as etcd's reads its kvs) is read from the backend a batch
/// of <see cref="RangeReadChunk"/> at a time (SqliteBackend.RangeReads.cs) rather than one point read per key. A
/// compare's index range is listed only when it is reached, or when a chunk about to be read has room for it: later
/// compares are planned ahead only while fewer than a chunk of revisions is listed ahead of the cursor. So a compare
/// that fails leaves every compare after it but those within its last chunk unlisted (etcd's applyCompares never
/// ranges them either), and at most one compare's range plus one chunk is listed at once.
/// </summary>
public sealed partial class KvStore
{
    // The revisions listed for the compares not yet evaluated (and the one being evaluated), in compare order; per
    // compare planned, where its revisions start (in revisions listed since the txn level began, of which the first
    // _cmpDropped were dropped from _cmpRevs once read) and how many (0: the index decided it, with Verdict). Cleared
    // after each txn level.
    private readonly List<Revision> _cmpRevs = new();
    private readonly List<(long Start, int Count, bool Verdict)> _cmpPlan = new();
    private long _cmpDropped;

    /// <summary>Revisions the compares listed from the index, ever; a spec's measure of the index work they did.</summary>
    internal long CompareRevisionsListed { get; private set; }

    /// <summary>The most revisions the compares of one txn level held listed at once, ever.</summary>
    internal int CompareRevisionsPeak { get; private set; }

    /// <summary>
    /// Whether every compare of <paramref name="rt"/> holds, stopping at the first that does not. A row a compare needs
    /// that the backend lacks throws when that compare is reached, not before: a txn whose earlier compare failed
    /// answers as it did with a read per key. Rows of later compares read ahead with an earlier compare's last chunk
    /// are the price of the batch when that compare fails.
    /// </summary>
    private bool ApplyCompares(TxnRequest rt)
    {
        var compares = rt.Compare;
        if (compares.Count == 0) return true;
        var revs = _cmpRevs;
        var plan = _cmpPlan;
        revs.Clear();
        plan.Clear();
        _cmpDropped = 0;
        var kvs = Span<KeyValue?>.Empty;
        long window = 0; // the listed position of kvs[0]
        try
        {
            var rev = ReadRev;
            for (var i = 0; i < compares.Count; i++)
            {
                if (plan.Count == i)
                {
                    // Every revision listed so far belongs to a compare that held: drop them before listing more.
                    _cmpDropped += revs.Count;
                    revs.Clear();
                    PlanNext(compares, rev);
                }
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
                        kvs = ReadChunkAt(j, compares, rev);
                    }
                    var kv = kvs[(int)(j - window)] ?? throw MissingRow(revs[(int)(j - _cmpDropped)]);
                    if (!CompareValues(c, kv.Version, kv.CreateRevision, kv.ModRevision, kv.Lease, kv)) return false;
                }
            }
            return true;
        }
        finally
        {
            // The store's scratch: holds nothing after the compares.
            kvs.Clear();
            ClearScratch(revs);
            ClearScratch(plan);
            _cmpDropped = 0;
        }
    }

    /// <summary>
    /// Reads the chunk of listed revisions from <paramref name="at"/> (a listed position). The revisions before it are
    /// read and dropped first; then, while fewer than a chunk is listed from it, the next compares are planned so that
    /// their rows share the chunk's statement.
    /// </summary>
    private Span<KeyValue?> ReadChunkAt(long at, RepeatedField<Compare> compares, long rev)
    {
        var revs = _cmpRevs;
        var read = (int)(at - _cmpDropped);
        if (read > 0)
        {
            // Dropped only when fewer than a chunk stays (the copy is short): while one large compare has more left,
            // its chunks are read in place, and nothing more is planned.
            if (revs.Count - read < RangeReadChunk)
            {
                revs.RemoveRange(0, read);
                _cmpDropped = at;
            }
        }
        // A compare the index decided false ends the look-ahead: nothing after it is evaluated.
        while (_cmpPlan.Count < compares.Count && revs.Count - (int)(at - _cmpDropped) < RangeReadChunk
               && _cmpPlan[^1] is not (_, 0, false))
            PlanNext(compares, rev);
        var from = (int)(at - _cmpDropped);
        return ReadRevisionsOrNull(CollectionsMarshal.AsSpan(revs).Slice(from, Math.Min(RangeReadChunk, revs.Count - from)));
    }

    /// <summary>Plans the next compare not yet planned, appending its revisions to <see cref="_cmpRevs"/>.</summary>
    private void PlanNext(RepeatedField<Compare> compares, long rev)
    {
        var revs = _cmpRevs;
        var before = revs.Count;
        var (count, verdict) = PlanCompare(compares[_cmpPlan.Count], rev, revs);
        _cmpPlan.Add((_cmpDropped + before, count, verdict));
        CompareRevisionsListed += count;
        if (revs.Count > CompareRevisionsPeak) CompareRevisionsPeak = revs.Count;
    }

    /// <summary>
    /// One compare against the index at <paramref name="rev"/>: the revisions it must read appended to
    /// <paramref name="revs"/>, or (none) its verdict. It must hold for every key in the range; with no key, it is
    /// evaluated against zero values, except a VALUE compare, which then always fails.
    /// </summary>
    private (int Count, bool Verdict) PlanCompare(Compare c, long rev, List<Revision> revs)
    {
        var end = IndexEnd(c.RangeEnd);
        if (end is null)
        {
            if (!_index.TryGet(c.Key, rev, out var mod, out var created, out var version))
                return (0, c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null));
            // Version, create and mod revisions are in the index: only value and lease need the backend.
            if (c.Target is not (CompareTarget.Value or CompareTarget.Lease))
                return (0, CompareValues(c, version, created.Main, mod.Main, 0, null));
            revs.Add(mod);
            return (1, false);
        }
        var n = _index.Range(c.Key, end, rev, 0, revs, null);
        if (n == 0) return (0, c.Target != CompareTarget.Value && CompareValues(c, 0, 0, 0, 0, null));
        return (n, false);
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
