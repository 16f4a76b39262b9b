using System.Runtime.InteropServices;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// The multi-version key-value store (etcd's mvcc.store plus the KV part of etcdserver's applierV3backend):
/// a <see cref="TreeIndex"/> of key histories over an <see cref="IBackend"/> of key revisions. Methods take
/// and return the v3 API messages; top-level responses have no header (the applier adds it, with
/// <see cref="CurrentRevision"/> as its revision). Single-threaded by design: the owning actor serialises
/// every call, so there are no locks.
///
/// Revision rules (etcd's): a fresh store is at revision 1; every request that changes something gets the
/// next main revision, shared by all its changes (told apart by sub-revision); a request that changes
/// nothing leaves the revision alone.
/// </summary>
public sealed partial class KvStore
{
    private readonly IBackend _backend;
    private readonly TreeIndex _index = new();
    private readonly Func<long, bool> _leaseExists;
    // The lease seam; null when the store runs without leases (a put naming one then fails "lease not found").
    private readonly ILeaseAttachments? _leases;

    private long _currentRev = 1;
    // etcd's compactMainRev: -1 until the first compaction; reads below it fail with "compacted".
    private long _compactMainRev = -1;
    // Changes made by the write in progress; they all carry main revision _currentRev + 1.
    private int _changes;
    // Something is buffered in the backend that the next Commit writes (a compaction batch must not commit it).
    private bool _dirty;

    // Scratch lists reused across calls to keep the hot paths allocation-free.
    private readonly List<Revision> _revScratch = new();
    private readonly List<KeyIndex> _keyScratch = new();

    /// <summary>
    /// Entries a scratch list keeps room for once cleared. One use above it (a delete or compare over a million keys)
    /// would otherwise hold its peak array for the store's life: such a list is let go and grows again when next
    /// needed, which a use that large amortises.
    /// </summary>
    internal const int ScratchKeep = 64 * 1024;

    /// <summary>Clears <paramref name="list"/> and lets its array go if it grew above <see cref="ScratchKeep"/>.</summary>
    internal static void ClearScratch<T>(List<T> list)
    {
        list.Clear();
        if (list.Capacity > ScratchKeep) list.Capacity = 0;
    }

    /// <summary>The entries the store's scratch lists have room for now; a spec's measure of what they hold on to.</summary>
    internal long ScratchCapacity =>
        (long)_revScratch.Capacity + _keyScratch.Capacity + _prevScratch.Capacity + _cmpRevs.Capacity + _cmpPlan.Capacity
        + _prevRevs.Capacity + _prevEvents.Capacity;

    /// <param name="backend">Storage; its rows are loaded into the index here.</param>
    /// <param name="leaseExists">Lease lookup for puts with a lease; until leases exist, none does.</param>
    public KvStore(IBackend backend, Func<long, bool>? leaseExists = null)
    {
        _backend = backend;
        _leaseExists = leaseExists ?? (static _ => false);
        Restore();
    }

    /// <param name="backend">Storage; its rows are loaded into the index here.</param>
    /// <param name="leases">The lease table's seam: puts attach their keys, overwrites and deletes detach them, and
    /// the keys' lease fields are attached again here at start (etcd's restore does the same).</param>
    public KvStore(IBackend backend, ILeaseAttachments leases)
    {
        _backend = backend;
        _leases = leases;
        _leaseExists = leases.Exists;
        Restore();
    }

    /// <summary>The store's revision: that of the last change (1 for a fresh store).</summary>
    public long CurrentRevision => _currentRev;

    /// <summary>The revision of the last compaction, -1 when never compacted.</summary>
    public long CompactedRevision => _compactMainRev;

    /// <summary>The last Raft index committed to the backend with its effects.</summary>
    public ulong ConsistentIndex => _backend.ConsistentIndex;

    /// <summary>Keys with history in the index.</summary>
    public int IndexedKeys => _index.Count;

    public IBackend Backend => _backend;

    /// <summary>
    /// Seam for watch: when set, every change appends its event here (PUT with the new key-value, DELETE
    /// with the key and the delete's revision as mod_revision). The owner drains it after each apply.
    /// </summary>
    public List<Event>? EventSink { get; set; }

    /// <summary>Makes every change so far durable, recording <paramref name="consistentIndex"/> with it.</summary>
    public void Commit(ulong consistentIndex)
    {
        _backend.Commit(consistentIndex);
        _dirty = false;
    }

    /// <summary>
    /// The revision reads see: inside a write that already changed something, its own pending revision
    /// (etcd's storeTxnWrite.Range sees its own writes).
    /// </summary>
    private long ReadRev => _changes > 0 ? _currentRev + 1 : _currentRev;

    private void BeginWrite() => _changes = 0;

    private void EndWrite()
    {
        if (_changes > 0)
        {
            _currentRev++;
            _dirty = true;
        }
        _changes = 0;
    }

    /// <summary>Rebuilds the index from the backend, in revision order, as etcd's restore does.</summary>
    private void Restore()
    {
        var maxRev = 0L;
        // etcd's restore keeps keyToLease the same way: the lease of each key's latest revision, attached at the end.
        var keyToLease = _leases is null ? null : new Dictionary<ByteString, long>();
        _backend.LoadAll((rev, kv, tombstone) =>
        {
            if (keyToLease is not null)
            {
                if (tombstone || kv.Lease == 0) keyToLease.Remove(kv.Key);
                else keyToLease[kv.Key] = kv.Lease;
            }
            var ki = _index.Find(kv.Key);
            if (ki is not null)
            {
                if (tombstone) ki.Tombstone(rev);
                else ki.Put(rev);
            }
            else if (!tombstone)
            {
                // The first row seen for a key may follow a compaction that removed its earlier revisions, so
                // creation and version come from the row itself. A leading tombstone says nothing: skip it.
                _index.Restore(kv.Key, new Revision(kv.CreateRevision, 0), rev, kv.Version);
            }
            if (rev.Main > maxRev) maxRev = rev.Main;
        });
        _compactMainRev = _backend.CompactedRevision;
        // A compaction may have deleted every row up to its revision, finished (compacted) or not (scheduled).
        _currentRev = Math.Max(1, Math.Max(maxRev, Math.Max(_compactMainRev, _backend.ScheduledCompaction)));
        if (keyToLease is not null)
        {
            // A key whose lease is gone stays unattached (etcd logs "failed to attach a lease" and goes on): that
            // cannot happen with one transaction per batch, but a hand-edited backend must not stop the member.
            foreach (var (key, lease) in keyToLease)
                if (_leases!.Exists(lease)) _leases.Attach(lease, key);
        }

        // A compaction that was scheduled but not finished (a crash between its batches): compact the index now
        // and leave the rest of the rows to CompactNextBatch, as etcd's restore re-schedules it.
        var scheduled = _backend.ScheduledCompaction;
        if (scheduled > _compactMainRev)
        {
            _compactMainRev = scheduled;
            ScheduleCompaction(scheduled);
            // The store is not serving yet: walk the index at once, as before the walk went in steps.
            FinishIndexCompaction();
        }
    }

    /// <summary>The newest key-value of <paramref name="key"/> at <paramref name="atRev"/>, or null.</summary>
    private KeyValue? GetAt(ByteString key, long atRev)
    {
        if (!_index.TryGet(key, atRev, out var mod, out _, out _)) return null;
        return ReadRevision(mod);
    }

    /// <summary>Revisions a range reads from the backend at once (RangeCursor.Step); the scratch below is that long.</summary>
    internal const int RangeReadChunk = 512;

    // The values of one chunk of a range (ReadRevisions), cleared by the cursor after each so that it holds nothing.
    private readonly KeyValue?[] _rangeScratch = new KeyValue?[RangeReadChunk];

    /// <summary>
    /// The key-values at <paramref name="revs"/> (at most <see cref="RangeReadChunk"/>), in their order, in the store's
    /// scratch: the caller takes them and clears it. Every one must be there, as for <see cref="ReadRevision"/>.
    /// </summary>
    internal Span<KeyValue?> ReadRevisions(ReadOnlySpan<Revision> revs)
    {
        var into = ReadRevisionsOrNull(revs);
        for (var i = 0; i < into.Length; i++)
        {
            if (into[i] is not null) continue;
            into.Clear();
            throw MissingRow(revs[i]);
        }
        return into;
    }

    /// <summary>
    /// As <see cref="ReadRevisions"/>, but a revision with no row leaves its slot null: for readers that may not need
    /// every row they read ahead (a txn's compares stop at the first that fails, KvStore.Compares.cs) and must fail on
    /// a missing one only where they use it, as a read per key did.
    /// </summary>
    private Span<KeyValue?> ReadRevisionsOrNull(ReadOnlySpan<Revision> revs)
    {
        var into = _rangeScratch.AsSpan(0, revs.Length);
        try
        {
            _backend.GetRevisions(revs, into);
        }
        catch
        {
            into.Clear();
            throw;
        }
        return into;
    }

    /// <summary>
    /// Appends the key-values at <paramref name="revs"/> (any number), in their order, to <paramref name="into"/>, read
    /// a batch per <see cref="RangeReadChunk"/> (SqliteBackend.RangeReads.cs) rather than one point read per revision.
    /// A missing row throws as in <see cref="ReadRevisions"/>, with the chunks before it appended: the callers (a
    /// delete's previous values, a catch-up's prev_kv) read all before they use any, and clear the list after.
    /// </summary>
    private void ReadRevisionsInto(ReadOnlySpan<Revision> revs, List<KeyValue> into)
    {
        for (var start = 0; start < revs.Length; start += RangeReadChunk)
        {
            var chunk = ReadRevisions(revs.Slice(start, Math.Min(RangeReadChunk, revs.Length - start)));
            foreach (var kv in chunk) into.Add(kv!);
            chunk.Clear();
        }
    }

    internal KeyValue ReadRevision(Revision rev) => _backend.GetRevision(rev) ?? throw MissingRow(rev);

    private static InvalidOperationException MissingRow(Revision rev) =>
        new($"mvcc: revision {rev} is in the index but not in the backend");

    /// <summary>Writes a new revision of <paramref name="key"/> (etcd's storeTxnWrite.put).</summary>
    private KeyValue PutKey(ByteString key, ByteString value, long lease)
    {
        var main = _currentRev + 1;
        var created = main;
        var version = 1L;
        Revision? prevMod = null;
        var ki = _index.Find(key);
        if (ki is not null && ki.TryGet(main, out var m, out var c, out var v))
        {
            prevMod = m;
            created = c.Main;
            version = v + 1;
        }
        var kv = new KeyValue
        {
            Key = key,
            Value = value,
            CreateRevision = created,
            ModRevision = main,
            Version = version,
            Lease = lease,
        };
        var rev = new Revision(main, _changes);
        _backend.PutRevision(rev, kv, false);
        if (_leases is not null) MoveLease(key, lease);
        if (ki is null) _index.Put(key, rev);
        else ki.Put(rev);
        _changes++;
        if (EventSink is not null) EventSink.Add(PutEvent(kv, version > 1 ? prevMod : null));
        return kv;
    }

    /// <summary>
    /// Deletes every key alive in the range; returns how many (etcd's storeTxnWrite.deleteRange). With
    /// <paramref name="prevKvs"/>, each deleted key's key-value before the delete is added to it, in key order.
    /// </summary>
    private long DeleteKeys(ByteString key, ByteString? end, IList<KeyValue>? prevKvs)
    {
        var keys = _keyScratch;
        var revs = _revScratch;
        keys.Clear();
        revs.Clear();
        // The revisions are listed only for a read of the previous values (TombstoneKeys): a plain delete needs keys.
        _index.Range(key, end, ReadRev, 0, WantsPrevValues(prevKvs) ? revs : null, keys);
        try
        {
            return TombstoneKeys(keys, revs, prevKvs);
        }
        finally
        {
            ClearScratch(keys);
            ClearScratch(revs);
        }
    }

    /// <summary>Whether a delete reads its keys' previous values: for its response or for watchers.</summary>
    private bool WantsPrevValues(IList<KeyValue>? prevKvs) => prevKvs is not null || (EventSink is not null && EventPrevKv);

    /// <summary>The entries the range and delete revision scratch has room for now.</summary>
    internal int RevScratchCapacity => _revScratch.Capacity;

    // The previous key-values of a delete's keys (TombstoneKeys) or of a catch-up's events (ReadPrevKvs), cleared
    // after each; neither runs inside the other.
    private readonly List<KeyValue> _prevScratch = new();

    /// <summary>
    /// Tombstones <paramref name="keys"/>, in order, at the write's revision; <paramref name="revs"/> holds the
    /// revision each is alive at now (what the index range gave with it), listed only when the previous values are
    /// read (<see cref="WantsPrevValues"/>). A key named twice (a lease's list) is deleted
    /// once. The previous values, when the response (<paramref name="prevKvs"/>) or a watcher (<see cref="EventPrevKv"/>)
    /// wants them, are all read first, a batch per <see cref="RangeReadChunk"/> keys (SqliteBackend.RangeReads.cs), not
    /// a point read per key: so a missing row fails the delete before anything of it is written, as the response's
    /// read before the deletes always did.
    /// </summary>
    private long TombstoneKeys(List<KeyIndex> keys, List<Revision> revs, IList<KeyValue>? prevKvs)
    {
        var eventPrev = EventSink is not null && EventPrevKv;
        var prevs = _prevScratch;
        prevs.Clear();
        try
        {
            if (WantsPrevValues(prevKvs)) ReadRevisionsInto(CollectionsMarshal.AsSpan(revs), prevs);
            var main = _currentRev + 1;
            long deleted = 0;
            for (var i = 0; i < keys.Count; i++)
            {
                var ki = keys[i];
                // Alive when the range was read; dead now only if named twice and already deleted above.
                if (!ki.TryGet(main, out _, out _, out _)) continue;
                var rev = new Revision(main, _changes);
                var tomb = new KeyValue { Key = ki.Key, ModRevision = main };
                var prev = prevs.Count > 0 ? prevs[i] : null;
                prevKvs?.Add(prev!);
                _backend.PutRevision(rev, tomb, true);
                ki.Tombstone(rev);
                if (_leases is not null) MoveLease(ki.Key, 0);
                _changes++;
                deleted++;
                if (EventSink is not null) EventSink.Add(new Event { Type = Event.Types.EventType.Delete, Kv = tomb, PrevKv = eventPrev ? prev : null });
            }
            return deleted;
        }
        finally
        {
            ClearScratch(prevs);
        }
    }

    /// <summary>
    /// Keeps the key's lease attachment current (etcd's storeTxnWrite.put and delete): detach from the lease it
    /// carried, attach to the new one. Puts with no lease on a store where no key carries one cost one count check.
    /// </summary>
    private void MoveLease(ByteString key, long lease)
    {
        var old = _leases!.LeaseOf(key);
        if (old == lease) return;
        if (old != 0) _leases.Detach(old, key);
        if (lease != 0) _leases.Attach(lease, key);
    }

    /// <summary>
    /// The request's range_end in the index's convention (etcd's mkGteRange): empty → single key (null),
    /// "\0" → unbounded (empty), else the exclusive end.
    /// </summary>
    internal static ByteString? IndexEnd(ByteString rangeEnd)
    {
        if (rangeEnd.IsEmpty) return null;
        if (rangeEnd.Length == 1 && rangeEnd.Span[0] == 0) return ByteString.Empty;
        return rangeEnd;
    }
}
