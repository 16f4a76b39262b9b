using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// What one Ready (and a due snapshot record) writes to the journal, as the events of one atomic write; no Akka.
/// Only what the core says must be durable (<see cref="Ready.MustSync"/>: entries, a snapshot, a term or vote change)
/// is written. The commit index need not be (etcd writes a commit-only change without fsync): a member that forgets it
/// re-learns it from the leader, and entries once committed are never truncated, so the store applying them early is
/// never undone. So a Ready whose only news is the commit index gives no event at all; the commit rides along with the
/// next write, in the entries' own row when there is one.
/// </summary>
internal static class JournalWrite
{
    /// <summary>
    /// The events for <paramref name="rd"/> and <paramref name="save"/>, with <paramref name="hard"/> the node's hard
    /// state now and <paramref name="lastDurableIndex"/> the last index in the journal (a snapshot installed by this
    /// very write counts); empty when nothing must be written.
    /// </summary>
    public static List<object> Events(Ready? rd, SnapshotMetadata? save, HardState hard, ulong lastDurableIndex)
    {
        var events = new List<object>(4);
        if (save is not null)
        {
            events.Add(new SnapshotSaved { Metadata = save });
            // With the record, so journal deletion can never leave the log without its latest hard state.
            events.Add(new HardStateSaved { State = hard });
        }
        if (rd?.Snapshot is { } installed)
        {
            events.Add(new SnapshotInstalled { Metadata = installed });
            lastDurableIndex = installed.Index;
        }
        if (rd is { Entries.Count: > 0 })
        {
            var first = rd.Entries[0].Index;
            // Journals are append-only: a conflicting suffix is cut by a marker in the same atomic write.
            if (first <= lastDurableIndex) events.Add(new LogTruncatedFrom { Index = first });
            var appended = new EntriesAppended();
            appended.Entries.AddRange(rd.Entries);
            events.Add(appended);
        }
        if (rd is { MustSync: true })
        {
            if (events.Count > 0 && events[^1] is EntriesAppended last) last.State = hard;
            // After SnapshotInstalled, changed or not: everything before it is deleted once it is durable.
            else if (events.Count == 0 || events[^1] is not HardStateSaved) events.Add(new HardStateSaved { State = hard });
        }
        return events;
    }
}
