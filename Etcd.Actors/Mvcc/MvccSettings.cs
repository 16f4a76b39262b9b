using Akka.Configuration;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// MvccStoreActor's knobs, from <c>etcd.mvcc</c> in reference.conf through <see cref="Create"/> (no defaults
/// in code), plus the backend file, which the member sets from its data directory.
/// </summary>
public sealed record MvccSettings
{
    // Only Create and `with` make one, so no knob is silently left at zero.
    private MvccSettings()
    {
    }

    /// <summary>reference.conf's values, with no backend file yet (set <see cref="BackendPath"/>).</summary>
    public static MvccSettings Default { get; } = Create(Config.Empty);

    /// <summary>The SQLite backend file (&lt;data-dir&gt;/member/mvcc.db).</summary>
    public string? BackendPath { get; init; }

    /// <summary>etcd.mvcc.max-pending-reads: read batches waiting for the applied index; beyond it "too many requests".</summary>
    public required int MaxPendingReadBatches { get; init; }

    /// <summary>
    /// --experimental-compaction-batch-limit: backend rows a compaction looks at per batch (each batch one
    /// transaction between applies). etcd takes 0 as its default (1000); a negative value would never finish there
    /// (its batch loop ends on a short batch), so it is refused.
    /// </summary>
    public required int CompactionBatchLimit { get; init; }

    /// <summary>
    /// etcd.mvcc.compaction-batch-interval: the pause after each batch of a compaction's backend rows before the next
    /// (etcd 3.4 sleeps 10 ms there, mvcc/kvstore_compaction.go), so the batches take a bounded share of the store's
    /// thread however fast the applies come; zero runs the next batch as soon as the mailbox reaches it.
    /// </summary>
    public required TimeSpan CompactionBatchInterval { get; init; }

    /// <summary>
    /// etcd.mvcc.max-unconsumed-watch-bytes: about how many bytes of keys and values the batches handed to the watch
    /// hub and not yet handled may hold; past it the store drops events for the hub to read from history
    /// (MvccStoreActor.Watch.cs).
    /// </summary>
    public required long MaxUnconsumedWatchBytes { get; init; }

    /// <summary>
    /// etcd.mvcc.range-step-rows: most values a Range reads from the backend in one turn of the store; a larger range
    /// is read in steps with applies between them (MvccStoreActor.RangeSteps.cs).
    /// </summary>
    public required int RangeStepRows { get; init; }

    /// <summary>etcd.mvcc.max-open-ranges: ranges read in steps at once, the oldest first; later ones wait unbegun (MvccStoreActor.RangeSteps.cs).</summary>
    public required int MaxOpenRanges { get; init; }

    /// <summary>
    /// etcd.mvcc.backend-cache-size: SQLite's page cache for the backend (PRAGMA cache_size). Pages it does not hold
    /// are read from the operating system's file cache, so it trades the member's resident memory for a little CPU
    /// per read of an uncached page.
    /// </summary>
    public required long BackendCacheBytes { get; init; }

    // etcd's defaultCompactBatchLimit (mvcc/kvstore.go), which it also uses for 0.
    private const int DefaultCompactionBatchLimit = 1000;

    /// <summary>Reads <c>etcd.mvcc.*</c>, falling back to reference.conf; a bad value throws <see cref="ArgumentException"/> naming the key.</summary>
    public static MvccSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        return new MvccSettings
        {
            MaxPendingReadBatches = r.Int("etcd.mvcc.max-pending-reads", min: 1),
            CompactionBatchLimit = r.Int("etcd.experimental-compaction-batch-limit", min: 0) is var limit and > 0 ? limit : DefaultCompactionBatchLimit,
            CompactionBatchInterval = r.DurationOrZero("etcd.mvcc.compaction-batch-interval"),
            MaxUnconsumedWatchBytes = r.Bytes("etcd.mvcc.max-unconsumed-watch-bytes", min: 1),
            RangeStepRows = r.Int("etcd.mvcc.range-step-rows", min: 1),
            MaxOpenRanges = r.Int("etcd.mvcc.max-open-ranges", min: 1),
            BackendCacheBytes = r.Bytes("etcd.mvcc.backend-cache-size", min: 64 * 1024),
        };
    }
}
