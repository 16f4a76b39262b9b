using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// Durable storage under the KV store (etcd's backend over bbolt). Rows are key revisions: one per put or
/// delete, addressed by <see cref="Revision"/>. Writes are buffered and made durable together by
/// <see cref="Commit"/>, which also records the Raft index applied so far (the consistent index) in the same
/// transaction: after a crash, either both the data and the index of a batch are there, or neither is, so
/// re-applying the entries after the stored index is exactly right.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Last Raft index whose effects are committed.</summary>
    ulong ConsistentIndex { get; }

    /// <summary>The revision the last finished compaction compacted to (-1 when none).</summary>
    long CompactedRevision { get; }

    /// <summary>The revision of the last compaction that was started (≥ <see cref="CompactedRevision"/>; -1 when none).</summary>
    long ScheduledCompaction { get; }

    /// <summary>
    /// Buffers one key revision. For a tombstone, <paramref name="kv"/> carries the key and the revision of
    /// the delete in <c>ModRevision</c>. The backend keeps the object: callers must not mutate it afterwards.
    /// </summary>
    void PutRevision(Revision rev, KeyValue kv, bool tombstone);

    /// <summary>
    /// The key-value stored at <paramref name="rev"/>, seeing buffered writes; null when absent. The object
    /// may be shared: callers must not mutate it.
    /// </summary>
    KeyValue? GetRevision(Revision rev);

    /// <summary>
    /// The key-values stored at <paramref name="revs"/>, position for position into <paramref name="into"/> (as long
    /// as <paramref name="revs"/>), seeing buffered writes; null where a revision is absent. What a range, a txn's
    /// compares, a delete's previous values and a watcher's catch-up prev_kv read: the revisions come in any order (a
    /// range's in key order), and a txn's compares may name one twice. The objects may be shared: callers must not
    /// mutate them. By default one <see cref="GetRevision"/> each; the SQLite backend reads a batch per statement.
    /// </summary>
    void GetRevisions(ReadOnlySpan<Revision> revs, Span<KeyValue?> into)
    {
        if (into.Length != revs.Length) throw new ArgumentException($"{into.Length} slots for {revs.Length} revisions", nameof(into));
        for (var i = 0; i < revs.Length; i++) into[i] = GetRevision(revs[i]);
    }

    /// <summary>Buffers the deletion of a revision removed by compaction.</summary>
    void DeleteRevision(Revision rev);

    /// <summary>Buffers the start of a compaction (written before the deletions, as etcd does).</summary>
    void SetScheduledCompaction(long rev);

    /// <summary>Buffers the end of a compaction.</summary>
    void SetCompactedRevision(long rev);

    /// <summary>Makes every buffered change durable in one transaction, with the consistent index.</summary>
    void Commit(ulong consistentIndex);

    /// <summary>
    /// Visits every committed key revision in revision order (index rebuild at start). The key-value may come
    /// without its value: the index needs only key, create revision and version.
    /// </summary>
    void LoadAll(Action<Revision, KeyValue, bool> visit);

    /// <summary>
    /// Visits every committed key revision whose main revision is ≤ <paramref name="maxMain"/>, in revision
    /// order, with its full key-value (HashKV, etcd's UnsafeForEach over the key bucket). Buffered writes are
    /// not visited.
    /// </summary>
    void ForEachRevision(long maxMain, Action<Revision, KeyValue, bool> visit);

    /// <summary>
    /// Visits the committed key revisions whose main revision is in [<paramref name="fromMain"/>,
    /// <paramref name="toMain"/>], in revision order, with their full key-values, until <paramref name="visit"/>
    /// returns false (watch history). Buffered writes are not visited.
    /// </summary>
    void ForEachRevisionBetween(long fromMain, long toMain, Func<Revision, KeyValue, bool, bool> visit);

    /// <summary>
    /// Appends to <paramref name="into"/> the revisions of the first <paramref name="limit"/> committed rows at or
    /// after <paramref name="from"/> whose main revision is ≤ <paramref name="maxMain"/>, in revision order (a
    /// compaction batch: etcd's UnsafeRange over the key bucket with the compaction batch limit).
    /// </summary>
    void CommittedRevisionsFrom(Revision from, long maxMain, int limit, List<Revision> into);

    /// <summary>Size of the backing storage in bytes (Status.dbSize).</summary>
    long SizeBytes { get; }

    /// <summary>Bytes in use, excluding free pages (Status.dbSizeInUse).</summary>
    long SizeInUseBytes { get; }
}
