using System.Runtime.InteropServices;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// What the watch hub needs from the store: events as changes are made (<see cref="KvStore.EventSink"/>, with
/// previous key-values while <see cref="EventPrevKv"/> is on), and events read back from history for watchers that
/// catch up (<see cref="History"/>). Both give the same event for the same change: PUT with the new key-value,
/// DELETE with the key and the delete's revision as mod_revision, and as prev_kv the key-value at the revision
/// before (none for a key's creation), as etcd's v3rpc fills it.
/// </summary>
public sealed partial class KvStore
{
    /// <summary>
    /// Attach each change's previous key-value to its event (a watcher asked for prev_kv). Costs a point read per put;
    /// a delete or lease revoke reads its keys' previous values a batch at a time (<see cref="TombstoneKeys"/>).
    /// </summary>
    public bool EventPrevKv { get; set; }

    private Event PutEvent(KeyValue kv, Revision? prevMod)
    {
        var ev = new Event { Type = Event.Types.EventType.Put, Kv = kv };
        if (EventPrevKv && prevMod is { } pm) ev.PrevKv = ReadRevision(pm);
        return ev;
    }

    /// <summary>
    /// The events of every revision from <paramref name="fromRev"/> to <paramref name="toRev"/> (both included,
    /// capped at the current revision), appended to <paramref name="into"/> in revision order. Stops at the first
    /// revision boundary once <paramref name="maxEvents"/> are in, so one revision (one txn) is never split; returns
    /// the last revision fully read. Revisions below the compacted revision are not read: the caller compares
    /// its start with <see cref="CompactedRevision"/> (etcd cancels such a watcher with compact_revision). While a
    /// compaction's batches are under way, the rows it will still delete (a tombstone at the compacted revision) are
    /// skipped, as HashKV skips them: every member, whatever batch it is at, and this one after the compaction
    /// finishes, read the same events.
    /// </summary>
    public long History(long fromRev, long toRev, int maxEvents, bool withPrevKv, List<Event> into)
    {
        if (maxEvents < 1) throw new ArgumentOutOfRangeException(nameof(maxEvents));
        var from = Math.Max(Math.Max(1, fromRev), _compactMainRev);
        var to = Math.Min(toRev, _currentRev);
        if (from > to) return to;
        var start = into.Count;
        var lastFull = to;
        var lastMain = 0L;
        // Only rows at or below the compaction's target may still be deleted, and history reads none below it
        // (from >= the compacted revision, which is the target). At the target, a compaction deletes a row only if
        // it is a tombstone: the key's generation ends there, and etcd's keyIndex.compact drops a generation left with
        // its tombstone alone. So the skip needs no keep set, and no catch-up waits for the index walk.
        var compacting = _compaction is { } c && from <= c.Target;
        var target = _compaction?.Target ?? 0;
        _backend.ForEachRevisionBetween(from, to, (rev, kv, tombstone) =>
        {
            if (compacting && tombstone && rev.Main == target) return true;
            if (into.Count - start >= maxEvents && rev.Main != lastMain)
            {
                lastFull = lastMain;
                return false;
            }
            lastMain = rev.Main;
            into.Add(new Event { Type = tombstone ? Event.Types.EventType.Delete : Event.Types.EventType.Put, Kv = kv });
            return true;
        });
        if (withPrevKv) ReadPrevKvs(into, start);
        return lastFull;
    }

    // The events whose previous key-value History reads, and the revision each reads (ReadPrevKvs), cleared after.
    private readonly List<int> _prevEvents = new();
    private readonly List<Revision> _prevRevs = new();

    /// <summary>
    /// Fills the prev_kv of the events from <paramref name="start"/> on, after the walk: each is the key's value at the
    /// revision before the event, found in the index, then read a batch per <see cref="RangeReadChunk"/> events
    /// (<see cref="ReadRevisionsInto"/>) rather than one point read per event. A row the index names but the backend
    /// lacks throws, as a point read of it did, before any event's prev_kv is set (the caller drops the events then:
    /// MvccStoreActor.Watch.cs).
    /// </summary>
    private void ReadPrevKvs(List<Event> events, int start)
    {
        var at = _prevEvents;
        var revs = _prevRevs;
        var prevs = _prevScratch;
        at.Clear();
        revs.Clear();
        prevs.Clear();
        try
        {
            for (var i = start; i < events.Count; i++)
            {
                var ev = events[i];
                if (ev.Type == Event.Types.EventType.Put && ev.Kv.Version == 1) continue; // a creation has no previous value
                // Below the compacted revision etcd's range fails as compacted, so its prev_kv is empty; the index
                // of a key the walk has not reached still holds that revision, so it must not be asked.
                var prevRev = ev.Kv.ModRevision - 1;
                if (prevRev < _compactMainRev || !_index.TryGet(ev.Kv.Key, prevRev, out var mod, out _, out _)) continue;
                at.Add(i);
                revs.Add(mod);
            }
            ReadRevisionsInto(CollectionsMarshal.AsSpan(revs), prevs);
            for (var j = 0; j < prevs.Count; j++) events[at[j]].PrevKv = prevs[j];
        }
        finally
        {
            ClearScratch(at);
            ClearScratch(revs);
            ClearScratch(prevs);
        }
    }
}
