using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// An <see cref="IBackend"/> in memory with the real one's buffering: writes are invisible to
/// <see cref="LoadAll"/> (the "disk") until <see cref="Commit"/>, and <see cref="Reopen"/> drops whatever
/// was not committed, like a crash.
/// </summary>
internal sealed class InMemoryBackend : IBackend
{
    private readonly SortedDictionary<Revision, (KeyValue Kv, bool Tomb)> _committed = new();
    private readonly SortedDictionary<Revision, (KeyValue Kv, bool Tomb)> _pending = new();
    private readonly List<Revision> _pendingDeletes = new();
    private long? _scheduled, _compacted;

    public ulong ConsistentIndex { get; private set; }
    public long CompactedRevision { get; private set; } = -1;
    public long ScheduledCompaction { get; private set; } = -1;
    public int Commits { get; private set; }

    public IReadOnlyCollection<Revision> CommittedRevisions => _committed.Keys;

    public void PutRevision(Revision rev, KeyValue kv, bool tombstone) => _pending.Add(rev, (kv, tombstone));

    public KeyValue? GetRevision(Revision rev)
    {
        if (_pending.TryGetValue(rev, out var p)) return p.Kv;
        return _committed.TryGetValue(rev, out var c) ? c.Kv : null;
    }

    public void DeleteRevision(Revision rev) => _pendingDeletes.Add(rev);
    public void SetScheduledCompaction(long rev) => _scheduled = rev;
    public void SetCompactedRevision(long rev) => _compacted = rev;

    public void Commit(ulong consistentIndex)
    {
        foreach (var (rev, row) in _pending) _committed[rev] = row;
        foreach (var rev in _pendingDeletes) _committed.Remove(rev);
        if (_scheduled is { } s) ScheduledCompaction = s;
        if (_compacted is { } c) CompactedRevision = c;
        ConsistentIndex = consistentIndex;
        Reopen();
        Commits++;
    }

    /// <summary>Forgets everything not committed (a crash).</summary>
    public void Reopen()
    {
        _pending.Clear();
        _pendingDeletes.Clear();
        _scheduled = _compacted = null;
    }

    public void LoadAll(Action<Revision, KeyValue, bool> visit)
    {
        foreach (var (rev, row) in _committed) visit(rev, row.Kv, row.Tomb);
    }

    public void ForEachRevision(long maxMain, Action<Revision, KeyValue, bool> visit)
    {
        foreach (var (rev, row) in _committed)
        {
            if (rev.Main > maxMain) break;
            visit(rev, row.Kv, row.Tomb);
        }
    }

    public void ForEachRevisionBetween(long fromMain, long toMain, Func<Revision, KeyValue, bool, bool> visit)
    {
        foreach (var (rev, row) in _committed)
        {
            if (rev.Main < fromMain) continue;
            if (rev.Main > toMain || !visit(rev, row.Kv, row.Tomb)) break;
        }
    }

    public void CommittedRevisionsFrom(Revision from, long maxMain, int limit, List<Revision> into)
    {
        var n = 0;
        foreach (var rev in _committed.Keys)
        {
            if (rev.Main > maxMain || n == limit) break;
            if (rev < from) continue;
            into.Add(rev);
            n++;
        }
    }

    public long SizeBytes => _committed.Count * 100L;
    public long SizeInUseBytes => SizeBytes;

    public void Dispose()
    {
    }
}
