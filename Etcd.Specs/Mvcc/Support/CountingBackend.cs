using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// An <see cref="InMemoryBackend"/> that counts the store's reads: point reads (<see cref="IBackend.GetRevision"/>, one
/// SQLite statement each in SqliteBackend.PointReads.cs) apart from batch reads (<see cref="IBackend.GetRevisions"/>,
/// a statement per 128 rows in SqliteBackend.RangeReads.cs), and that can lose rows (<see cref="Lose"/>) to show what
/// the store does when the index names a revision the backend lacks.
/// </summary>
internal sealed class CountingBackend : IBackend
{
    private readonly InMemoryBackend _inner = new();
    private readonly HashSet<Revision> _lost = new();

    /// <summary>Calls of <see cref="GetRevision"/>.</summary>
    public int PointReads { get; private set; }

    /// <summary>Calls of <see cref="GetRevisions"/> and the revisions they asked for.</summary>
    public int Batches { get; private set; }
    public int BatchedRows { get; private set; }

    /// <summary>Every batch's length, in order.</summary>
    public List<int> BatchSizes { get; } = new();

    public void ResetCounts()
    {
        PointReads = Batches = BatchedRows = 0;
        BatchSizes.Clear();
    }

    /// <summary>From now on, reads of <paramref name="rev"/> find no row.</summary>
    public void Lose(Revision rev) => _lost.Add(rev);

    private KeyValue? Read(Revision rev) => _lost.Contains(rev) ? null : _inner.GetRevision(rev);

    public KeyValue? GetRevision(Revision rev)
    {
        PointReads++;
        return Read(rev);
    }

    public void GetRevisions(ReadOnlySpan<Revision> revs, Span<KeyValue?> into)
    {
        if (into.Length != revs.Length) throw new ArgumentException($"{into.Length} slots for {revs.Length} revisions", nameof(into));
        Batches++;
        BatchedRows += revs.Length;
        BatchSizes.Add(revs.Length);
        for (var i = 0; i < revs.Length; i++) into[i] = Read(revs[i]);
    }

    public ulong ConsistentIndex => _inner.ConsistentIndex;
    public long CompactedRevision => _inner.CompactedRevision;
    public long ScheduledCompaction => _inner.ScheduledCompaction;
    public void PutRevision(Revision rev, KeyValue kv, bool tombstone) => _inner.PutRevision(rev, kv, tombstone);
    public void DeleteRevision(Revision rev) => _inner.DeleteRevision(rev);
    public void SetScheduledCompaction(long rev) => _inner.SetScheduledCompaction(rev);
    public void SetCompactedRevision(long rev) => _inner.SetCompactedRevision(rev);
    public void Commit(ulong consistentIndex) => _inner.Commit(consistentIndex);
    public void LoadAll(Action<Revision, KeyValue, bool> visit) => _inner.LoadAll(visit);
    public void ForEachRevision(long maxMain, Action<Revision, KeyValue, bool> visit) => _inner.ForEachRevision(maxMain, visit);
    public void ForEachRevisionBetween(long fromMain, long toMain, Func<Revision, KeyValue, bool, bool> visit) =>
        _inner.ForEachRevisionBetween(fromMain, toMain, visit);
    public void CommittedRevisionsFrom(Revision from, long maxMain, int limit, List<Revision> into) =>
        _inner.CommittedRevisionsFrom(from, maxMain, limit, into);
    public long SizeBytes => _inner.SizeBytes;
    public long SizeInUseBytes => _inner.SizeInUseBytes;
    public void Dispose() => _inner.Dispose();
}
