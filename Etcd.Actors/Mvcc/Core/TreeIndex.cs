using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// The in-memory index from key to revision history (etcd's mvcc.treeIndex). Two views of the same
/// <see cref="KeyIndex"/> objects: a hash map for the point lookups that dominate writes and single-key
/// reads, and a red-black tree ordered bytewise for ranges. Range bounds follow etcd's index convention:
/// <c>end == null</c> is the single key, an empty <c>end</c> is unbounded (from-key), otherwise [key, end).
/// </summary>
public sealed class TreeIndex
{
    private readonly Dictionary<ByteString, KeyIndex> _byKey = new();
    private readonly SortedSet<KeyIndex> _sorted = new(ByteKeyComparer.Instance);

    /// <summary>Number of keys with history in the index (alive or not yet compacted away).</summary>
    public int Count => _byKey.Count;

    public KeyIndex? Find(ByteString key) => _byKey.GetValueOrDefault(key);

    /// <summary>Records a put of <paramref name="key"/> at <paramref name="rev"/>.</summary>
    public void Put(ByteString key, Revision rev) => GetOrAdd(key).Put(rev);

    /// <summary>Records a delete; false when the key is not alive.</summary>
    public bool Tombstone(ByteString key, Revision rev)
    {
        var ki = Find(key);
        return ki is not null && ki.Tombstone(rev);
    }

    /// <summary>Adds a key restored from the backend (see <see cref="KeyIndex.Restore"/>).</summary>
    public void Restore(ByteString key, Revision created, Revision modified, long version) =>
        GetOrAdd(key).Restore(created, modified, version);

    /// <summary>The key as of main revision <paramref name="atRev"/>.</summary>
    public bool TryGet(ByteString key, long atRev, out Revision modified, out Revision created, out long version)
    {
        var ki = Find(key);
        if (ki is not null) return ki.TryGet(atRev, out modified, out created, out version);
        modified = created = default;
        version = 0;
        return false;
    }

    /// <summary>
    /// Visits the keys alive at <paramref name="atRev"/> in [key, end), in key order. Collects the revision of
    /// the first <paramref name="limit"/> of them (all when limit ≤ 0) into <paramref name="revs"/> and their
    /// keys into <paramref name="keys"/> (either may be null), and returns how many are alive in total —
    /// the count is always over the whole range, as etcd's Range reports it.
    /// </summary>
    public int Range(ByteString key, ByteString? end, long atRev, long limit, List<Revision>? revs, List<KeyIndex>? keys)
    {
        if (end is null)
        {
            var ki = Find(key);
            if (ki is null || !ki.TryGet(atRev, out var mod, out _, out _)) return 0;
            revs?.Add(mod);
            keys?.Add(ki);
            return 1;
        }

        var total = 0;
        foreach (var ki in Between(key, end))
        {
            if (!ki.TryGet(atRev, out var mod, out _, out _)) continue;
            if (limit <= 0 || total < limit)
            {
                revs?.Add(mod);
                keys?.Add(ki);
            }
            total++;
        }
        return total;
    }

    /// <summary>Every key index in [key, end) (end empty: unbounded), whatever its state, in key order.</summary>
    public IEnumerable<KeyIndex> Between(ByteString key, ByteString end)
    {
        if (_sorted.Count == 0) yield break;
        var max = _sorted.Max!;
        if (ByteKeyComparer.CompareKeys(key, max.Key) > 0) yield break;
        var bounded = !end.IsEmpty;
        if (bounded && ByteKeyComparer.CompareKeys(key, end) >= 0) yield break;
        // SortedSet's view counts its elements when created (O(elements in view)), so bound it by the real
        // end rather than by Max: the cost is then proportional to the range, which is walked anyway.
        var upper = bounded ? KeyIndex.Probe(end) : max;
        foreach (var ki in _sorted.GetViewBetween(KeyIndex.Probe(key), upper))
        {
            if (bounded && ByteKeyComparer.CompareKeys(ki.Key, end) >= 0) yield break;
            yield return ki;
        }
    }

    /// <summary>
    /// Every key index, in no particular order: what a compaction's index walk goes through in steps
    /// (KvStore.CompactIndexStep). A copy of the hash map's values (an array walk, not the tree's), so that taking it
    /// costs the apply little and the walk may drop keys from the index as it goes.
    /// </summary>
    public KeyIndex[] Snapshot()
    {
        var keys = new KeyIndex[_byKey.Count];
        _byKey.Values.CopyTo(keys, 0);
        return keys;
    }

    /// <summary>Drops a key index that compaction left with no history.</summary>
    public void Remove(KeyIndex ki)
    {
        if (!ki.IsEmpty) throw new InvalidOperationException($"only an empty key index leaves the index, not {ki}");
        if (!_byKey.TryGetValue(ki.Key, out var held) || !ReferenceEquals(held, ki))
            throw new InvalidOperationException($"key index {ki.Key.ToStringUtf8()} is not in the index");
        _byKey.Remove(ki.Key);
        _sorted.Remove(ki);
    }

    private KeyIndex GetOrAdd(ByteString key)
    {
        if (_byKey.TryGetValue(key, out var ki)) return ki;
        ki = new KeyIndex(key);
        _byKey.Add(key, ki);
        _sorted.Add(ki);
        return ki;
    }
}
