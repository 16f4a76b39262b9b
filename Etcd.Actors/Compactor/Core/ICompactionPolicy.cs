namespace Etcd.Actors.Compactor.Core;

/// <summary>
/// When to compact and to which revision: the decisions of etcd's v3compactor loops, with time and revisions as
/// inputs. The shell calls <see cref="Started"/> once, then <see cref="Tick"/> every <see cref="Interval"/> (counted
/// from the end of the previous tick's work, as etcd's loop waits after its compaction returns), and reports a
/// compaction that succeeded (or found the revision already compacted) with <see cref="Succeeded"/>.
/// </summary>
public interface ICompactionPolicy
{
    /// <summary>How long the shell waits between two ticks.</summary>
    TimeSpan Interval { get; }

    /// <summary>The compactor starts at <paramref name="now"/> with the store at <paramref name="currentRevision"/>.</summary>
    void Started(TimeSpan now, long currentRevision);

    /// <summary>
    /// One turn of the loop at <paramref name="now"/>: the revision to compact to, or null. <paramref name="paused"/>
    /// is true on a member that does not lead (etcd pauses the compactor there).
    /// </summary>
    long? Tick(TimeSpan now, long currentRevision, bool paused);

    /// <summary>The compaction to <paramref name="revision"/> was applied (or it was already compacted) at <paramref name="now"/>.</summary>
    void Succeeded(TimeSpan now, long revision);
}
