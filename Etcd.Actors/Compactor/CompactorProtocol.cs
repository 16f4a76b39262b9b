namespace Etcd.Actors.Compactor;

/// <summary>CompactorActor's own messages: its timer and the outcomes of what it asked the member.</summary>
public static class CompactorProtocol
{
    /// <summary>The timer: time for the next turn of the loop.</summary>
    public sealed record Tick
    {
        public static readonly Tick Instance = new();

        private Tick()
        {
        }
    }

    /// <summary>The current revision, or why it could not be read; <paramref name="Starting"/> for the first sample.</summary>
    public sealed record RevisionRead(long Revision, string? Error, bool Starting);

    /// <summary>How the proposed compaction to <paramref name="Revision"/> ended (<paramref name="Error"/> null: applied).</summary>
    public sealed record CompactionDone(long Revision, string? Error, bool AlreadyCompacted);

    /// <summary>Published on the EventStream when a compaction is proposed, for specs and tools.</summary>
    public sealed record CompactionProposed(long Revision);

    /// <summary>Published on the EventStream once a turn is over and the next tick is armed (specs step the clock on it).</summary>
    public sealed record TurnEnded(TimeSpan NextIn);
}
