using Etcd.Actors.Mvcc.Core;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The physical compaction's messages (MvccStoreActor.Compaction.cs). The store tells itself
/// <see cref="ContinueCompaction"/> after each batch, so everything that reached its mailbox meanwhile (applies,
/// reads, HashKV) is served before the next batch; it publishes <see cref="BatchCommitted"/> on the EventStream
/// after each batch, for specs and tools.
/// </summary>
public static class CompactionProtocol
{
    /// <summary>Run the next batch of the compaction under way, if any (the store sends it to itself).</summary>
    public sealed record ContinueCompaction
    {
        public static readonly ContinueCompaction Instance = new();

        private ContinueCompaction()
        {
        }
    }

    /// <summary>
    /// Completes <paramref name="Done"/> once no compaction is under way at the store: the one this member has
    /// applied, or a newer one that took its walk over, has deleted its last row (a Compact RPC with <c>physical</c>,
    /// as etcd's v3_server.go waits on the compaction's physc). Fails with "too many requests" beyond
    /// <c>MvccStoreActor.MaxCompactionWaiters</c> waiting at once, and with "server stopped" when the store stops first.
    /// </summary>
    public sealed record NotifyCompacted(TaskCompletionSource Done);

    /// <summary>Published after each batch's transaction has committed; <c>Batch.Done</c> on the last one.</summary>
    public sealed record BatchCommitted(ulong MemberId, CompactionBatch Batch);
}
