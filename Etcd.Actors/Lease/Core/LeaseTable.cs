using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Lease.Core;

/// <summary>
/// The applied lease state every member holds alike (the deterministic half of etcd's lessor): which leases
/// exist, the TTL each was granted with, the remaining TTL of its last checkpoint, and which keys carry it.
/// Changed only by committed entries, in log order, so every replica has the same table; time never enters
/// here (<see cref="Lessor"/> is the time side, on the leader). Single-threaded: the store actor owns it.
///
/// Besides the table it records, per batch, what must be persisted (<see cref="TakeDirty"/>: the backend
/// writes it in the batch's transaction) and what the time side must learn (<see cref="TakeChanges"/>).
/// </summary>
public sealed class LeaseTable
{
    private readonly Dictionary<long, Entry> _leases = new();
    // etcd's itemMap: the lease each key carries. Keys without a lease are not in it.
    private readonly Dictionary<ByteString, long> _keyLease = new();
    private readonly Dictionary<long, LeaseRecord?> _dirty = new();
    private readonly List<LeaseChange> _changes = new();
    // Leases whose key set changed since the last TakeKeySetChanges: the store publishes a new version for each after
    // the batch (AuthGate.LeaseKeys), so the edge's keep-alive check knows when a cached answer no longer holds.
    private readonly HashSet<long> _keySetChanged = new();

    /// <param name="minTtl">etcd's minLeaseTTL (<see cref="LeaseRules.MinTtl"/>): shorter grants are raised to it.</param>
    /// <param name="restored">The leases the backend holds (no keys: <see cref="Attach"/> restores those from the keys).</param>
    public LeaseTable(long minTtl, IEnumerable<LeaseRecord> restored)
    {
        if (minTtl < 1) throw new ArgumentOutOfRangeException(nameof(minTtl), minTtl, "the minimum lease TTL is at least 1 s");
        MinTtl = minTtl;
        foreach (var r in restored)
        {
            if (r.Id == 0) throw new InvalidOperationException("lease table: a stored lease has id 0");
            _leases.Add(r.Id, new Entry(r.Ttl, r.RemainingTtl));
        }
    }

    public long MinTtl { get; }

    public int Count => _leases.Count;

    /// <summary>Whether any key carries a lease (lets the store skip the lookup on puts when none does).</summary>
    public bool HasAttachments => _keyLease.Count > 0;

    public bool Exists(long id) => _leases.ContainsKey(id);

    /// <summary>
    /// etcd's lessor.Grant: id 0 is "lease not found" (the proposing member replaced 0 by a generated id), a TTL
    /// above <see cref="LeaseRules.MaxTtl"/> is refused, an existing id is refused, a short TTL is raised to the
    /// minimum. Negative ids are granted as etcd 3.4 grants them. Returns the TTL granted.
    /// </summary>
    public EtcdError? Grant(long id, long ttl, out long granted)
    {
        granted = 0;
        if (id == 0) return EtcdErrors.LeaseNotFound;
        if (ttl > LeaseRules.MaxTtl) return EtcdErrors.LeaseTtlTooLarge;
        if (_leases.ContainsKey(id)) return EtcdErrors.LeaseExist;
        granted = Math.Max(ttl, MinTtl);
        _leases.Add(id, new Entry(granted, 0));
        Changed(LeaseChangeKind.Granted, new LeaseRecord(id, granted, 0));
        return null;
    }

    /// <summary>
    /// The keys to delete when <paramref name="id"/> is revoked, sorted as etcd sorts them (bytewise) so every
    /// member deletes them in the same order; null when the lease does not exist.
    /// </summary>
    public List<ByteString>? KeysToRevoke(long id)
    {
        if (!_leases.TryGetValue(id, out var e)) return null;
        var keys = e.Keys is null ? new List<ByteString>() : new List<ByteString>(e.Keys);
        keys.Sort(static (a, b) => a.Span.SequenceCompareTo(b.Span));
        return keys;
    }

    /// <summary>Removes a revoked lease (after its keys were deleted, which detached them).</summary>
    public void Remove(long id)
    {
        if (!_leases.Remove(id, out var e)) throw new InvalidOperationException($"lease table: revoking {id:x16}, which does not exist");
        if (e.Keys is { Count: > 0 })
            throw new InvalidOperationException($"lease table: lease {id:x16} revoked with {e.Keys.Count} keys still attached");
        Changed(LeaseChangeKind.Revoked, new LeaseRecord(id, e.Ttl, 0));
    }

    /// <summary>etcd's lessor.Checkpoint: records the remaining TTL; an unknown lease is ignored (it was revoked since).</summary>
    public void Checkpoint(long id, long remainingTtl)
    {
        if (!_leases.TryGetValue(id, out var e)) return;
        e.RemainingTtl = remainingTtl;
        Changed(LeaseChangeKind.Checkpointed, new LeaseRecord(id, e.Ttl, remainingTtl));
    }

    /// <summary>The lease <paramref name="key"/> carries, 0 for none.</summary>
    public long LeaseOf(ByteString key) => _keyLease.Count == 0 ? 0 : _keyLease.GetValueOrDefault(key);

    /// <summary>Attaches <paramref name="key"/> to lease <paramref name="id"/>, which must exist (the store checked).</summary>
    public void Attach(long id, ByteString key)
    {
        if (!_leases.TryGetValue(id, out var e)) throw new InvalidOperationException($"lease table: attaching a key to lease {id:x16}, which does not exist");
        if ((e.Keys ??= new HashSet<ByteString>()).Add(key)) _keySetChanged.Add(id);
        _keyLease[key] = id;
    }

    /// <summary>The key no longer carries lease <paramref name="id"/> (overwritten without it, or deleted).</summary>
    public void Detach(long id, ByteString key)
    {
        if (_leases.TryGetValue(id, out var e) && e.Keys?.Remove(key) == true) _keySetChanged.Add(id);
        _keyLease.Remove(key);
    }

    /// <summary>The lease as stored, or null.</summary>
    public LeaseRecord? Get(long id) => _leases.TryGetValue(id, out var e) ? new LeaseRecord(id, e.Ttl, e.RemainingTtl) : null;

    /// <summary>The keys attached to <paramref name="id"/>, sorted bytewise (empty for none or an unknown lease).</summary>
    public List<ByteString> Keys(long id) => KeysToRevoke(id) ?? new List<ByteString>();

    /// <summary>The keys attached to <paramref name="id"/> in no particular order (a copy; empty for none or an unknown lease).</summary>
    public List<ByteString> KeySet(long id) =>
        _leases.TryGetValue(id, out var e) && e.Keys is { Count: > 0 } keys ? new List<ByteString>(keys) : new List<ByteString>();

    /// <summary>Whether <paramref name="id"/> exists and has a key attached.</summary>
    public bool HasKeys(long id) => _leases.TryGetValue(id, out var e) && e.Keys is { Count: > 0 };

    /// <summary>Every lease with a key attached (after the backend was opened, all of them have a new key set).</summary>
    public List<long> LeasesWithKeys()
    {
        var ids = new List<long>();
        foreach (var (id, e) in _leases)
            if (e.Keys is { Count: > 0 }) ids.Add(id);
        return ids;
    }

    /// <summary>The leases whose key set changed since the last call (keys attached or detached; revoked ones included).</summary>
    public IReadOnlyList<long> TakeKeySetChanges()
    {
        if (_keySetChanged.Count == 0) return [];
        var ids = _keySetChanged.ToArray();
        _keySetChanged.Clear();
        return ids;
    }

    /// <summary>Every key attached to some lease, in no particular order (a copy).</summary>
    public List<ByteString> AttachedKeys() => [.. _keyLease.Keys];

    /// <summary>Every lease, by id.</summary>
    public List<LeaseRecord> All()
    {
        var all = new List<LeaseRecord>(_leases.Count);
        foreach (var (id, e) in _leases) all.Add(new LeaseRecord(id, e.Ttl, e.RemainingTtl));
        all.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return all;
    }

    /// <summary>Whether the batch so far changed what is persisted.</summary>
    public bool IsDirty => _dirty.Count > 0;

    /// <summary>What changed since the last call, per lease: the record to store, or null to delete it.</summary>
    public IReadOnlyDictionary<long, LeaseRecord?> TakeDirty()
    {
        if (_dirty.Count == 0) return EmptyDirty;
        var d = new Dictionary<long, LeaseRecord?>(_dirty);
        _dirty.Clear();
        return d;
    }

    /// <summary>The changes since the last call, in apply order (empty list when none).</summary>
    public IReadOnlyList<LeaseChange> TakeChanges()
    {
        if (_changes.Count == 0) return [];
        var c = _changes.ToArray();
        _changes.Clear();
        return c;
    }

    private static readonly IReadOnlyDictionary<long, LeaseRecord?> EmptyDirty = new Dictionary<long, LeaseRecord?>();

    private void Changed(LeaseChangeKind kind, LeaseRecord r)
    {
        _dirty[r.Id] = kind == LeaseChangeKind.Revoked ? null : r;
        _changes.Add(new LeaseChange(kind, r));
    }

    private sealed class Entry(long ttl, long remainingTtl)
    {
        public long Ttl { get; } = ttl;
        public long RemainingTtl { get; set; } = remainingTtl;
        public HashSet<ByteString>? Keys { get; set; }
    }
}
