namespace Etcd.Benchmark;

/// <summary>
/// Everything one watcher received: each event's revision and the Stopwatch tick at which the response
/// carrying it was read. Preallocated to the events expected; more than that are counted in
/// <see cref="Overflow"/> (they can only be duplicates or unexpected) instead of growing without bound.
/// Written only by its stream's reader task; read after that task has ended.
/// </summary>
public sealed class WatcherLog(int capacity)
{
    public long[] Revisions { get; } = new long[capacity];
    public long[] ReceivedTicks { get; } = new long[capacity];
    public int Count { get; private set; }
    public long Overflow { get; private set; }
    /// <summary>Set when the server canceled this watcher (e.g. compaction); the reason it gave.</summary>
    public string? Canceled { get; set; }

    public void Add(long revision, long tick)
    {
        if (Count == Revisions.Length)
        {
            Overflow++;
            return;
        }
        Revisions[Count] = revision;
        ReceivedTicks[Count] = tick;
        Count++;
    }
}
