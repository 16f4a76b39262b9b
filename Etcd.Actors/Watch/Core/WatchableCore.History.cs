using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// Catching up from history (etcd's syncWatchers and syncVictimsLoop, in bounded steps): a round takes up to
/// <see cref="WatchableCore.MaxWatchersPerRound"/> unsynced watchers whose stream has room, asks the store for the
/// events from the lowest MinRev among them to <see cref="WatchableCore.CurrentRevision"/> (at most
/// <see cref="WatchableCore.MaxEventsPerRead"/>), sends each its part, and moves it to synced if that reached
/// the current revision, back to unsynced otherwise. One round is in flight at a time; live batches keep coming
/// meanwhile and go to synced watchers only. Victims hold no events: they are read again from history when
/// their stream has room, so a stalled stream costs no memory here; if history is compacted before then,
/// the watcher is canceled with compact_revision, which is the clear end etcd gives too.
/// </summary>
public sealed partial class WatchableCore
{
    private readonly WatcherGroup _round = new();
    private readonly List<Watcher> _roundList = new();
    private HistoryRequest? _inFlight;
    private long _rounds;

    // The live batches committed while the read is in flight, in order: appended to the read's answer, so a round
    // that read up to its To ends at the current revision and its watchers become synced. Without them, a write
    // during every read (any steady load) would keep a catching-up watcher one step behind for ever: etcd holds its
    // store lock over the read instead. Bounded; past the bound (or a gap, or missing previous values) the round
    // ends at what it read and its watchers go on in the next one.
    private readonly List<Event> _sinceRead = new();
    private long _sinceReadTo;
    private bool _sinceReadUsable;

    /// <summary>The read in flight, if any.</summary>
    public HistoryRequest? InFlight => _inFlight;

    /// <summary>Whether some unsynced watcher waits (and no read is in flight to serve it).</summary>
    public bool HasWork => _inFlight is null && _unsynced.Count > 0;

    /// <summary>
    /// Starts a round: picks the watchers and says what to read; null when a read is in flight, nobody is behind,
    /// or every stream behind is still full (its victims wait).
    /// </summary>
    public HistoryRequest? NextRound()
    {
        if (_inFlight is not null || _unsynced.Count == 0) return null;
        var from = long.MaxValue;
        var prev = false;
        var picked = 0;
        // Downwards: removing slot i moves the last watcher (already seen) into it.
        for (var i = _unsynced.Count - 1; i >= 0 && picked < MaxWatchersPerRound; i--)
        {
            var w = _unsynced[i];
            if (!w.Outlet.HasRoom) continue;
            _unsynced.Remove(w);
            if (w.MinRev > CurrentRevision)
            {
                // Caught up already (a stream that fell behind with nothing new since).
                Synced(w);
                continue;
            }
            w.State = WatcherState.Reading;
            _round.Add(w);
            picked++;
            from = Math.Min(from, w.MinRev);
            prev |= w.PrevKv;
        }
        if (picked == 0) return null;
        _inFlight = new HistoryRequest(++_rounds, Math.Max(1, from), CurrentRevision, MaxEventsPerRead, prev);
        _sinceRead.Clear();
        _sinceReadTo = CurrentRevision;
        _sinceReadUsable = true;
        return _inFlight;
    }

    /// <summary>
    /// The store's answer to round <paramref name="round"/>: the events of every revision from the request's From
    /// through <paramref name="readUpTo"/> (≤ its To; less when the read was cut at MaxEvents), in revision order,
    /// and the store's compacted revision (-1 when never). An answer to another round is ignored.
    /// </summary>
    public void OnHistory(long round, IReadOnlyList<Event> events, long readUpTo, long compactedRevision)
    {
        if (_inFlight is not { } req || req.Round != round) return;
        _inFlight = null;
        if (readUpTo > req.To) throw new InvalidOperationException($"history read up to {readUpTo}, beyond the {req.To} asked");
        if (readUpTo == req.To && _sinceReadUsable && _sinceRead.Count > 0 && _sinceReadTo == CurrentRevision)
        {
            var all = new List<Event>(events.Count + _sinceRead.Count);
            all.AddRange(events);
            all.AddRange(_sinceRead);
            events = all;
            readUpTo = CurrentRevision;
        }
        _sinceRead.Clear();
        _sinceReadUsable = false;

        PrepareBare(events.Count, true);
        var last = 0L;
        for (var i = 0; i < events.Count; i++)
        {
            var ev = events[i];
            var rev = ev.Kv.ModRevision;
            if (rev < last || rev > readUpTo) throw new InvalidOperationException($"history event at {rev} out of order or beyond {readUpTo}");
            last = rev;
            _matches.Clear();
            _round.Match(ev.Kv.Key, _matches);
            for (var j = 0; j < _matches.Count; j++) Gather(_matches[j], ev, i);
        }
        _touched.Clear(); // each watcher's own list says what it got

        _roundList.Clear();
        _round.CopyTo(_roundList);
        _round.Clear();
        foreach (var w in _roundList)
        {
            var gathered = w.Gathered;
            if (compactedRevision > 0 && w.MinRev < compactedRevision)
            {
                gathered?.Clear();
                if (w.Outlet.TrySendCompacted(w, compactedRevision, CurrentRevision))
                {
                    w.Outlet.Behind--;
                    Forget(w);
                    CheckStreamProgress(w.Outlet);
                }
                else Unsynced(w, victim: true);
                continue;
            }
            if (gathered is { Count: > 0 })
            {
                var sent = SendGathered(w, gathered, readUpTo);
                gathered.Clear();
                if (!sent)
                {
                    Unsynced(w, victim: true);
                    continue;
                }
                w.SentSinceProgressTick = true;
            }
            if (w.MinRev <= readUpTo) Advance(w, readUpTo + 1);
            if (w.MinRev > CurrentRevision) Synced(w);
            else Unsynced(w, victim: false);
        }
        _roundList.Clear();
    }

    /// <summary>A live batch while a read is in flight: kept for the read's answer (see <see cref="_sinceRead"/>).</summary>
    private void KeepSinceRead(IReadOnlyList<Event> events, long fromRevision, long toRevision, bool hasPrevKv)
    {
        if (_inFlight is null || !_sinceReadUsable) return;
        if (fromRevision != _sinceReadTo || (_inFlight.PrevKv && !hasPrevKv) || _sinceRead.Count + events.Count > MaxEventsPerRead)
        {
            _sinceReadUsable = false;
            _sinceRead.Clear();
            return;
        }
        for (var i = 0; i < events.Count; i++)
            if (events[i].Kv.ModRevision > fromRevision) _sinceRead.Add(events[i]);
        _sinceReadTo = toRevision;
    }

    /// <summary>Gives up on the read in flight (the store restarted, or it took too long): its watchers wait for the next round.</summary>
    public void AbandonRound()
    {
        if (_inFlight is null) return;
        _inFlight = null;
        _sinceRead.Clear();
        _sinceReadUsable = false;
        _roundList.Clear();
        _round.CopyTo(_roundList);
        _round.Clear();
        foreach (var w in _roundList) Unsynced(w, victim: false);
        _roundList.Clear();
    }

    private void Unsynced(Watcher w, bool victim)
    {
        w.State = WatcherState.Unsynced;
        w.Victim = victim;
        _unsynced.Add(w);
    }

    /// <summary>An unsynced watcher (already out of its container) that has everything up to the current revision.</summary>
    private void Synced(Watcher w)
    {
        w.State = WatcherState.Synced;
        w.Victim = false;
        w.Outlet.Behind--;
        _synced.Add(w);
        CheckStreamProgress(w.Outlet);
    }
}
