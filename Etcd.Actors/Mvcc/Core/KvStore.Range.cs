using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using SortOrder = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Etcd.Actors.Mvcc.Core;

public sealed partial class KvStore
{
    internal static readonly Comparison<KeyValue> ByKey = static (a, b) => ByteKeyComparer.CompareKeys(a.Key, b.Key);
    private static readonly Comparison<KeyValue> ByVersion = static (a, b) => a.Version.CompareTo(b.Version);
    private static readonly Comparison<KeyValue> ByCreate = static (a, b) => a.CreateRevision.CompareTo(b.CreateRevision);
    private static readonly Comparison<KeyValue> ByMod = static (a, b) => a.ModRevision.CompareTo(b.ModRevision);
    private static readonly Comparison<KeyValue> ByValue = static (a, b) => a.Value.Span.SequenceCompareTo(b.Value.Span);

    // Range reads whose values are still being read in steps (RangeCursor); a compaction's backend batches wait
    // for those reading below its target.
    private readonly List<RangeCursor> _openRanges = new();

    /// <summary>Range at the current revision (or the request's revision), answered at once. No header on the response.</summary>
    public KvResult<RangeResponse> Range(RangeRequest r) => RangeCore(r, ReadRev);

    /// <summary>
    /// Begins a range at the current revision: the index is scanned now (the keys, their revisions and the count are
    /// fixed at this revision), then the values are read by the returned cursor in steps of at most
    /// <paramref name="stepRows"/>, between which the store may apply writes (see <see cref="RangeCursor"/>). A range
    /// of at most <paramref name="stepRows"/> values is read at once, and its cursor comes back <see cref="RangeCursor.Done"/>.
    /// An open cursor must be finished or closed: until then it holds back compaction batches above its revision.
    /// </summary>
    public KvResult<RangeCursor> BeginRange(RangeRequest r, int stepRows) => Begin(r, stepRows, openIfLarger: true).GetValueOrDefault();

    /// <summary>
    /// As <see cref="BeginRange"/> when one step of <paramref name="stepRows"/> values answers the range (the cursor
    /// comes back done, or the error); null when it would take more, with nothing read and nothing held (only the
    /// index was scanned). The store serves such a read at once even when it has no room to open another range.
    /// </summary>
    public KvResult<RangeCursor>? RangeInOneStep(RangeRequest r, int stepRows) => Begin(r, stepRows, openIfLarger: false);

    private KvResult<RangeCursor>? Begin(RangeRequest r, int stepRows, bool openIfLarger)
    {
        if (stepRows < 1) throw new ArgumentOutOfRangeException(nameof(stepRows), stepRows, "a step reads at least one row");
        if (_changes != 0 || _dirty) throw new InvalidOperationException("range begun while a write is not committed");
        var begun = StartRange(r, ReadRev, _revScratch, openIfLarger ? int.MaxValue : stepRows);
        if (!begun.IsOk) return begun.Error!;
        if (begun.Value is not { } cursor)
        {
            // More rows than one step: no cursor was made, nothing is registered or kept.
            ClearScratch(_revScratch);
            return null;
        }
        if (!cursor.Done) cursor.Step(Math.Min(stepRows, cursor.Remaining));
        if (!cursor.Done)
        {
            // A one-key get (the common read) costs no list of its own; one that stays open needs one.
            cursor.OwnRevisions();
            ClearScratch(_revScratch);
            _openRanges.Add(cursor);
        }
        return cursor;
    }

    /// <summary>Ranges begun with <see cref="BeginRange"/> and not finished or closed.</summary>
    public int OpenRanges => _openRanges.Count;

    /// <summary>Whether the pending compaction's next batch must wait: an open range reads below its target.</summary>
    public bool CompactionHeldByReads
    {
        get
        {
            if (_compaction is not { } c) return false;
            foreach (var open in _openRanges)
                if (open.ReadRevision < c.Target) return true;
            return false;
        }
    }

    internal void Forget(RangeCursor cursor) => _openRanges.Remove(cursor);

    /// <summary>
    /// etcd's applierV3backend.Range over storeTxnRead.rangeKeys. When sorting or filtering, the whole range
    /// is fetched, then filtered, sorted and truncated; otherwise limit+1 keys are fetched so that
    /// <c>more</c> can be set. <c>count</c> is the number of keys in the range at that revision, before the
    /// filters and regardless of the limit.
    /// </summary>
    private KvResult<RangeResponse> RangeCore(RangeRequest r, long curRev)
    {
        var begun = StartRange(r, curRev, _revScratch);
        if (!begun.IsOk) return begun.Error!;
        var cursor = begun.Value!;
        if (!cursor.Done) cursor.Step(cursor.Remaining);
        return cursor.Finish();
    }

    /// <summary>
    /// Validates the request and scans the index: a cursor with the revisions to read, or etcd's error; no cursor (an
    /// ok result without a value) when it would read more than <paramref name="maxRows"/> values.
    /// </summary>
    private KvResult<RangeCursor> StartRange(RangeRequest r, long curRev, List<Revision> revs, int maxRows = int.MaxValue)
    {
        var limit = r.Limit;
        var filtered = Filtered(r);
        if (r.SortOrder != SortOrder.None || filtered) limit = 0;
        if (limit > 0) limit++;

        var rev = r.Revision;
        if (rev > curRev) return EtcdErrors.FutureRev;
        if (rev <= 0) rev = curRev;
        if (rev < _compactMainRev) return EtcdErrors.Compacted;

        var sortOrder = SortOrderOf(r);
        revs.Clear();
        var end = IndexEnd(r.RangeEnd);
        var count = r.CountOnly
            ? _index.Range(r.Key, end, rev, 0, null, null)
            : _index.Range(r.Key, end, rev, limit, revs, null);
        if (RangeCursor.RowsToRead(r, revs.Count, filtered, sortOrder) > maxRows) return new KvResult<RangeCursor>();
        return new RangeCursor(this, r, rev, curRev, count, revs, filtered, sortOrder);
    }

    /// <summary>Whether <paramref name="r"/> filters by create or mod revision (then every key in it is read before its limit applies).</summary>
    internal static bool Filtered(RangeRequest r) =>
        r.MinModRevision != 0 || r.MaxModRevision != 0 || r.MinCreateRevision != 0 || r.MaxCreateRevision != 0;

    /// <summary>The order <paramref name="r"/> is answered in: mvcc returns key order; a non-key target with no order means ascending by that target.</summary>
    internal static SortOrder SortOrderOf(RangeRequest r) =>
        r.SortTarget != SortTarget.Key && r.SortOrder == SortOrder.None ? SortOrder.Ascend : r.SortOrder;

    internal static Comparison<KeyValue> Comparer(SortTarget target) => target switch
    {
        SortTarget.Version => ByVersion,
        SortTarget.Create => ByCreate,
        SortTarget.Mod => ByMod,
        SortTarget.Value => ByValue,
        _ => ByKey,
    };

    /// <summary>
    /// keys_only drops the value; the backend's object is shared, so copy rather than mutate. The key is copied too:
    /// the backend's point read wraps key and value in one array (SqliteBackend.PointReads.cs), a range's batch read
    /// many rows' in one slab (SqliteBackend.RangeReads.cs), and a key that kept that array would keep the dropped
    /// values alive until the response is sent.
    /// </summary>
    internal static KeyValue Shape(KeyValue kv, bool keysOnly) =>
        !keysOnly
            ? kv
            : new KeyValue
            {
                Key = ByteString.CopyFrom(kv.Key.Span),
                CreateRevision = kv.CreateRevision,
                ModRevision = kv.ModRevision,
                Version = kv.Version,
                Lease = kv.Lease,
            };
}
