using System.Runtime.InteropServices;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using SortOrder = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// One range read in progress: the index was scanned at <see cref="ReadRevision"/> when it began (which key
/// revisions it answers with, and the count), and the values are read from the backend in steps
/// (<see cref="Step"/>), so that a range of many keys does not hold the store's thread for its whole length: the
/// store may apply writes between two steps (MvccStoreActor.RangeSteps.cs). That is safe because a key revision, once
/// written, is never changed, and the only thing that removes one, a compaction's backend batches, waits while an
/// open cursor reads below its target (<see cref="KvStore.CompactionHeldByReads"/>): a compaction at or below the
/// read revision keeps every revision the read needs (the latest of each live key at that revision).
/// etcd gets the same from its read transaction, which pins a bbolt snapshot for the length of the read.
/// </summary>
public sealed class RangeCursor
{
    private readonly KvStore _store;
    private readonly RangeRequest _request;
    private List<Revision> _revs;
    private readonly bool _filtered;
    private readonly SortOrder _sortOrder;
    private readonly RangeResponse _response = new();
    // The kept key-values when filtering or sorting (all are needed before the limit applies); else rows go
    // straight into the response, at most _take of them.
    private readonly List<KeyValue>? _kvs;
    private readonly int _take;
    private int _next;
    private bool _finished;
    // The rows as protobuf bytes instead of in _response.Kvs (EncodeTo), or null.
    private EncodedKvs? _encoded;

    internal RangeCursor(KvStore store, RangeRequest request, long readRevision, long headerRevision, long count,
        List<Revision> revs, bool filtered, SortOrder sortOrder)
    {
        _store = store;
        _request = request;
        ReadRevision = readRevision;
        HeaderRevision = headerRevision;
        _revs = revs;
        _filtered = filtered;
        _sortOrder = sortOrder;
        _response.Count = count;
        _take = RowsToRead(request, revs.Count, filtered, sortOrder);
        if (filtered || sortOrder != SortOrder.None)
        {
            _kvs = new List<KeyValue>(revs.Count);
        }
        else
        {
            _response.More = _take < revs.Count;
            // Sized once rather than grown by doubling as the rows come.
            _response.Kvs.Capacity = _take;
        }
    }

    /// <summary>
    /// Values a range of <paramref name="revisions"/> key revisions reads: all of them when it is filtered or sorted
    /// (the limit applies after), else at most the request's limit.
    /// </summary>
    internal static int RowsToRead(RangeRequest request, int revisions, bool filtered, SortOrder sortOrder) =>
        filtered || sortOrder != SortOrder.None || request.Limit <= 0 || revisions <= request.Limit ? revisions : (int)request.Limit;

    /// <summary>Gives the cursor its own copy of the revisions (it was begun on the store's scratch list and stays open).</summary>
    internal void OwnRevisions() => _revs = new List<Revision>(_revs);

    /// <summary>The revision the range reads at.</summary>
    public long ReadRevision { get; }

    /// <summary>The store's revision when the read began: the response header's revision, as etcd reports it.</summary>
    public long HeaderRevision { get; }

    /// <summary>Whether every value the response needs has been read (then call <see cref="Finish"/>).</summary>
    public bool Done => _next >= _take;

    /// <summary>Values still to read.</summary>
    public int Remaining => _take - _next;

    /// <summary>Whether <see cref="EncodeTo"/> would take bytes: an unfinished range in key order without filters, not encoding yet.</summary>
    public bool CanEncode => !_finished && _kvs is null && _encoded is null;

    /// <summary>Where the rows go as bytes since <see cref="EncodeTo"/>, or null while they go into the response.</summary>
    public EncodedKvs? Encoded => _encoded;

    /// <summary>
    /// From now on the rows go to <paramref name="kvs"/> as bytes (and those read so far move there), not into the
    /// response as objects: for a large range answered over gRPC, whose rows would otherwise live until the response is
    /// written (EncodedKvs says why). Only a range in key order without filters streams its rows into the response;
    /// a sorted or filtered one keeps them all to order them at the end, so it is left as it is (false).
    /// </summary>
    public bool EncodeTo(EncodedKvs kvs)
    {
        if (_finished) throw new InvalidOperationException("range cursor already finished");
        if (!CanEncode) return false;
        _encoded = kvs;
        foreach (var kv in _response.Kvs) kvs.Add(kv);
        _response.Kvs.Clear();
        _response.Kvs.Capacity = 0;
        return true;
    }

    /// <summary>Reads up to <paramref name="maxRows"/> more values from the backend.</summary>
    public void Step(int maxRows)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "a step reads at least one row");
        if (_finished) throw new InvalidOperationException("range cursor already finished");
        var end = (int)Math.Min((long)_next + maxRows, _take);
        var revs = CollectionsMarshal.AsSpan(_revs);
        while (_next < end)
        {
            var n = Math.Min(end - _next, KvStore.RangeReadChunk);
            // The backend reads a chunk's rows together (SqliteBackend.RangeReads.cs), not one statement per key.
            var kvs = _store.ReadRevisions(revs.Slice(_next, n));
            try
            {
                Keep(kvs);
            }
            finally
            {
                // The store's scratch: holds nothing between steps.
                kvs.Clear();
            }
            _next += n;
        }
    }

    private void Keep(Span<KeyValue?> kvs)
    {
        var r = _request;
        if (_kvs is null)
        {
            var keysOnly = r.KeysOnly;
            if (_encoded is { } encoded)
                foreach (var kv in kvs) encoded.Add(KvStore.Shape(kv!, keysOnly));
            else
                foreach (var kv in kvs) _response.Kvs.Add(KvStore.Shape(kv!, keysOnly));
            return;
        }
        foreach (var read in kvs)
        {
            var kv = read!;
            if (_filtered)
            {
                if (r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision) continue;
                if (r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision) continue;
                if (r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision) continue;
                if (r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision) continue;
            }
            _kvs.Add(kv);
        }
    }

    /// <summary>The response (no header): sorted, filtered and limited as etcd's Range does. Closes the cursor.</summary>
    public RangeResponse Finish()
    {
        if (!Done) throw new InvalidOperationException($"range cursor finished with {Remaining} values unread");
        if (_finished) throw new InvalidOperationException("range cursor already finished");
        _finished = true;
        _store.Forget(this);
        KvStore.ClearScratch(_revs);
        if (_kvs is null) return _response;

        if (_sortOrder != SortOrder.None)
        {
            var cmp = KvStore.Comparer(_request.SortTarget);
            // Ties keep ascending key order in both directions: etcd sorts the key-ordered range with an
            // insertion sort for small ranges (stable), so that is what etcdctl users see; we make it total.
            var descend = _sortOrder == SortOrder.Descend;
            _kvs.Sort((a, b) =>
            {
                var c = descend ? cmp(b, a) : cmp(a, b);
                return c != 0 ? c : KvStore.ByKey(a, b);
            });
        }
        var n = _kvs.Count;
        if (_request.Limit > 0 && n > _request.Limit)
        {
            n = (int)_request.Limit;
            _response.More = true;
        }
        _response.Kvs.Capacity = n;
        for (var i = 0; i < n; i++) _response.Kvs.Add(KvStore.Shape(_kvs[i], _request.KeysOnly));
        return _response;
    }

    /// <summary>Abandons the read (its caller is gone, or the store is closing): the store stops waiting for it, and its encoded rows go back.</summary>
    public void Close()
    {
        // A finished cursor's rows belong to its response now.
        if (_finished) return;
        _encoded?.Release();
        _finished = true;
        _store.Forget(this);
        KvStore.ClearScratch(_revs);
    }
}
