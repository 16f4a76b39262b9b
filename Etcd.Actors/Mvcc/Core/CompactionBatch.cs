namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// What one batch of a physical compaction did: the compaction's revision, rows looked at and deleted in this
/// batch, batches and deletions so far, and whether it was the last (the compaction is then recorded as finished).
/// </summary>
public sealed record CompactionBatch(long Target, int Scanned, int Deleted, int Batches, long TotalDeleted, bool Done);
