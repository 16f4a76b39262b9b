using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// The revision history of one key (etcd's mvcc.keyIndex): a list of generations, the last one being the
/// current life (empty after a delete). Example, key "foo" put at 1.0, 2.0, deleted at 3.0, put at 4.0:
/// <c>{1.0, 2.0, 3.0(t)}, {4.0}</c>. Reads at a revision find the generation alive at that revision;
/// compaction keeps, per key, the newest revision ≤ the compaction point and everything after it.
/// </summary>
public sealed class KeyIndex
{
    private readonly List<Generation> _generations;

    public KeyIndex(ByteString key)
    {
        Key = key;
        _generations = new List<Generation>(1) { new() };
    }

    private KeyIndex(ByteString key, List<Generation> generations)
    {
        Key = key;
        _generations = generations;
    }

    /// <summary>A search key for the sorted index: no history, never stored.</summary>
    internal static KeyIndex Probe(ByteString key) => new(key, []);

    public ByteString Key { get; }

    /// <summary>The newest revision of this key (put or tombstone).</summary>
    public Revision Modified { get; private set; }

    public IReadOnlyList<Generation> Generations => _generations;

    /// <summary>True when only one empty generation is left: the key has no history worth keeping.</summary>
    public bool IsEmpty => _generations.Count == 1 && _generations[0].IsEmpty;

    /// <summary>Records a put at <paramref name="rev"/>, which must be newer than everything recorded.</summary>
    public void Put(Revision rev)
    {
        if (rev <= Modified)
            throw new InvalidOperationException($"put with unexpected smaller revision {rev} <= {Modified} for key {Key.ToStringUtf8()}");
        _generations[^1].Append(rev);
        Modified = rev;
    }

    /// <summary>
    /// Rebuilds the first generation of a key read back from the backend after a restart: compaction may
    /// have removed its first revisions, so creation and version come from the stored key-value.
    /// </summary>
    public void Restore(Revision created, Revision modified, long version)
    {
        if (!IsEmpty) throw new InvalidOperationException("restore on a non-empty key index");
        _generations[0] = new Generation(created, version, new List<Revision>(1) { modified });
        Modified = modified;
    }

    /// <summary>
    /// Records a delete at <paramref name="rev"/>: the tombstone ends the current generation and a new empty
    /// one begins. Returns false when the key is not alive (nothing to delete).
    /// </summary>
    public bool Tombstone(Revision rev)
    {
        if (_generations[^1].IsEmpty) return false;
        Put(rev);
        _generations.Add(new Generation());
        return true;
    }

    /// <summary>
    /// The key as of main revision <paramref name="atRev"/>: the revision of its newest put ≤ atRev, the
    /// revision it was created at and its version then. False when the key did not exist at atRev.
    /// </summary>
    public bool TryGet(long atRev, out Revision modified, out Revision created, out long version)
    {
        var g = FindGeneration(atRev);
        if (g is not null)
        {
            var n = g.IndexAtOrBefore(atRev);
            if (n != -1)
            {
                modified = g.RevList[n];
                created = g.Created;
                version = g.Version - (g.RevList.Count - n - 1);
                return true;
            }
        }
        modified = default;
        created = default;
        version = 0;
        return false;
    }

    /// <summary>
    /// The generation alive at <paramref name="rev"/>, or null. A dead generation whose tombstone is ≤ rev
    /// means the key was deleted at that point, so the search stops there.
    /// </summary>
    private Generation? FindGeneration(long rev)
    {
        var last = _generations.Count - 1;
        for (var cg = last; cg >= 0; cg--)
        {
            var g = _generations[cg];
            if (g.IsEmpty) continue;
            if (cg != last && g.Last.Main <= rev) return null;
            if (g.RevList[0].Main <= rev) return g;
        }
        return null;
    }

    /// <summary>
    /// Compacts the history at main revision <paramref name="atRev"/>: generations that ended at or before
    /// atRev disappear; in the first surviving generation only the newest revision ≤ atRev and later ones
    /// stay. A tombstone ≤ atRev left alone in a dead generation is dropped too. Every revision removed is
    /// appended to <paramref name="removed"/> so the backend can delete exactly those rows.
    /// </summary>
    public void Compact(long atRev, List<Revision> removed)
    {
        if (IsEmpty) throw new InvalidOperationException($"compact on empty key index {Key.ToStringUtf8()}");

        // Skip whole generations whose tombstone is at or before atRev.
        var genIdx = 0;
        while (genIdx < _generations.Count - 1 && _generations[genIdx].Last.Main <= atRev)
        {
            AddAll(_generations[genIdx], removed);
            genIdx++;
        }

        var g = _generations[genIdx];
        if (!g.IsEmpty)
        {
            var keep = g.IndexAtOrBefore(atRev);
            if (keep > 0)
            {
                for (var i = 0; i < keep; i++) removed.Add(g.RevList[i]);
                g.TrimFront(keep);
            }
            // A lone tombstone ≤ atRev in a dead generation says nothing a reader could ask for: drop it.
            if (g.RevList.Count == 1 && genIdx != _generations.Count - 1 && g.RevList[0].Main <= atRev)
            {
                removed.Add(g.RevList[0]);
                genIdx++;
            }
        }
        if (genIdx > 0) _generations.RemoveRange(0, genIdx);
    }

    private static void AddAll(Generation g, List<Revision> removed)
    {
        var revs = g.RevList;
        for (var i = 0; i < revs.Count; i++) removed.Add(revs[i]);
    }

    public override string ToString() => $"{Key.ToStringUtf8()}: {string.Join(" ", _generations)}";
}
