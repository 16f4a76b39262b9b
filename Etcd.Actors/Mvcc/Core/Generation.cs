namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// One life of a key (etcd's mvcc.generation): from its creation to its deletion. The revisions are in
/// increasing order; when the generation has ended, the last revision is the tombstone. Version counts the
/// puts of this life (a tombstone also counts, as in etcd, but a dead generation is never read for version).
/// </summary>
public sealed class Generation
{
    private List<Revision> _revs;

    public Generation() => _revs = new List<Revision>(1);

    internal Generation(Revision created, long version, List<Revision> revs)
    {
        Created = created;
        Version = version;
        _revs = revs;
    }

    /// <summary>Number of puts in this generation (including compacted-away ones).</summary>
    public long Version { get; internal set; }

    /// <summary>The revision at which this life began (the first put).</summary>
    public Revision Created { get; internal set; }

    /// <summary>Revisions still present (compaction trims the old ones).</summary>
    public IReadOnlyList<Revision> Revisions => _revs;

    internal List<Revision> RevList => _revs;

    public bool IsEmpty => _revs.Count == 0;

    public Revision Last => _revs[^1];

    internal void Append(Revision rev)
    {
        if (_revs.Count == 0) Created = rev;
        _revs.Add(rev);
        Version++;
    }

    /// <summary>
    /// Index of the newest revision whose main revision is ≤ <paramref name="atRev"/>, or -1 (etcd's
    /// generation.walk with "rev.main > atRev" as the continue condition, done as a reverse scan because
    /// reads almost always target the newest revisions).
    /// </summary>
    public int IndexAtOrBefore(long atRev)
    {
        for (var i = _revs.Count - 1; i >= 0; i--)
            if (_revs[i].Main <= atRev) return i;
        return -1;
    }

    /// <summary>Drops the first <paramref name="count"/> revisions (compaction).</summary>
    internal void TrimFront(int count)
    {
        if (count > 0) _revs.RemoveRange(0, count);
    }

    public override string ToString() => $"g{{created={Created}, ver={Version}, revs=[{string.Join(",", _revs)}]}}";
}
