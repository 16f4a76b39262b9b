using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// The watch hub's logic (etcd's watchableStore), without actors, clock or I/O. Every watcher is in exactly one
/// place: <b>synced</b> (it has every matching event up to <see cref="CurrentRevision"/> and gets each committed
/// batch as it comes, <see cref="Notify"/>), <b>unsynced</b> (behind: a start revision in the past, a victim whose
/// stream was full, a prev_kv watcher that met a batch without previous values) or <b>reading</b> (in the history
/// read in flight, WatchableCore.History.cs). Unsynced watchers catch up from history in bounded reads, one at a
/// time, and become synced in the same step that finds them at <see cref="CurrentRevision"/>: no live batch can
/// fall between the two, so nothing is missed or sent twice across the move.
///
/// Invariants (checked, thrown on): a watcher's <see cref="Watcher.MinRev"/> only grows; every response's revision
/// is MinRev - 1 right after it, so a client resuming at revision + 1 sees every event exactly once.
/// </summary>
public sealed partial class WatchableCore
{
    private readonly WatcherGroup _synced = new();
    private readonly WatcherList _unsynced = new();
    private readonly List<Watcher> _matches = new();
    private readonly List<Watcher> _touched = new();
    private readonly List<Event?> _bare = new();
    private readonly List<Watcher> _scratch = new();

    /// <param name="maxWatchersPerRound">Unsynced watchers caught up by one history read (etcd's maxWatchersPerSync).</param>
    /// <param name="maxEventsPerRead">Events one history read returns at most (a revision is never split).</param>
    /// <param name="maxResponseBytes">
    /// About how much key and value data one response carries: more is cut into several, only between revisions (each
    /// at the revision it is complete to), so a long catch-up or a big batch stays within what gRPC clients take by
    /// default (4 MiB). One revision larger than this still goes whole, as etcd's does.
    /// </param>
    public WatchableCore(int maxWatchersPerRound, int maxEventsPerRead, long maxResponseBytes = DefaultMaxResponseBytes)
    {
        if (maxWatchersPerRound < 1) throw new ArgumentOutOfRangeException(nameof(maxWatchersPerRound));
        if (maxEventsPerRead < 1) throw new ArgumentOutOfRangeException(nameof(maxEventsPerRead));
        if (maxResponseBytes < 1) throw new ArgumentOutOfRangeException(nameof(maxResponseBytes));
        MaxWatchersPerRound = maxWatchersPerRound;
        MaxEventsPerRead = maxEventsPerRead;
        MaxResponseBytes = maxResponseBytes;
    }

    public const long DefaultMaxResponseBytes = 1L << 20;

    public int MaxWatchersPerRound { get; }
    public int MaxEventsPerRead { get; }
    public long MaxResponseBytes { get; }

    /// <summary>The store's revision as of the last batch or opening seen: synced watchers have everything up to it.</summary>
    public long CurrentRevision { get; private set; }

    public int SyncedCount => _synced.Count;
    public int UnsyncedCount => _unsynced.Count + _round.Count;

    /// <summary>Watchers that want previous key-values: while there are any, the store should attach them to events.</summary>
    public int PrevKvWatchers { get; private set; }

    /// <summary>
    /// The store opened (or reopened, after a restart or a snapshot install) at <paramref name="revision"/>. A jump
    /// moves every synced watcher to unsynced, to catch up from history (etcd's watchableStore.Restore).
    /// </summary>
    public void StoreOpened(long revision)
    {
        AbandonRound();
        if (revision > CurrentRevision) FallBehind();
        if (revision > CurrentRevision) CurrentRevision = revision;
    }

    /// <summary>
    /// Adds a watcher (etcd's watchableStore.watch): synced when it starts at 0 (the next change) or in the future,
    /// else unsynced from its start revision.
    /// </summary>
    public void Add(Watcher w)
    {
        if (w.State != WatcherState.New) throw new InvalidOperationException($"{w} added twice");
        w.Owner = this;
        w.Outlet.Watchers++;
        if (w.PrevKv) PrevKvWatchers++;
        if (w.ProgressNotify) _progress.Add(w);
        var start = w.StartRevision;
        if (start == 0 || start > CurrentRevision)
        {
            w.MinRev = Math.Max(start, CurrentRevision + 1);
            w.State = WatcherState.Synced;
            _synced.Add(w);
        }
        else
        {
            w.MinRev = start;
            w.Outlet.Behind++;
            w.State = WatcherState.Unsynced;
            _unsynced.Add(w);
        }
    }

    /// <summary>Removes a watcher wherever it is; false when it was already gone (canceled or compacted) or is not this core's.</summary>
    public bool Cancel(Watcher w)
    {
        if (!ReferenceEquals(w.Owner, this)) return false;
        switch (w.State)
        {
            case WatcherState.Synced:
                Must(_synced.Remove(w), w);
                break;
            case WatcherState.Unsynced:
                Must(_unsynced.Remove(w), w);
                w.Outlet.Behind--;
                break;
            case WatcherState.Reading:
                Must(_round.Remove(w), w);
                w.Outlet.Behind--;
                break;
            default:
                return false;
        }
        Forget(w);
        CheckStreamProgress(w.Outlet);
        return true;
    }

    /// <summary>
    /// The events of one committed batch of the store (etcd's notify), every revision in
    /// (<paramref name="fromRevision"/>, <paramref name="toRevision"/>], in revision order; the events of one
    /// revision (one txn) are never split. <paramref name="hasPrevKv"/>: the store attached previous key-values.
    /// Each synced watcher gets one response with its events, at <paramref name="toRevision"/>.
    /// </summary>
    public void Notify(IReadOnlyList<Event> events, long fromRevision, long toRevision, bool hasPrevKv)
    {
        if (toRevision < fromRevision) throw new InvalidOperationException($"batch ends at {toRevision} before it starts at {fromRevision}");
        // A batch that does not follow the last one (the store dropped batches at its bound and says so with the next
        // one, or with an event-less one at its revision; or it reopened without saying so): synced watchers may have
        // missed something, so they catch up from history instead.
        if (fromRevision > CurrentRevision) FallBehind();
        var floor = CurrentRevision; // anything at or below it was delivered already
        if (toRevision <= floor) return;
        KeepSinceRead(events, fromRevision, toRevision, hasPrevKv);

        PrepareBare(events.Count, hasPrevKv);
        for (var i = 0; i < events.Count; i++)
        {
            var ev = events[i];
            var rev = ev.Kv.ModRevision;
            if (rev <= floor) continue;
            if (rev > toRevision) throw new InvalidOperationException($"event at {rev} in a batch that ends at {toRevision}");
            _matches.Clear();
            _synced.Match(ev.Kv.Key, _matches);
            for (var j = 0; j < _matches.Count; j++) Gather(_matches[j], ev, i);
        }
        CurrentRevision = toRevision;

        for (var i = 0; i < _touched.Count; i++)
        {
            var w = _touched[i];
            var gathered = w.Gathered!;
            if (w.PrevKv && !hasPrevKv)
            {
                // The store did not attach previous values to this batch (it was applied before this watcher asked):
                // read the batch again from history, where they are.
                gathered.Clear();
                FallBehind(w, floor, victim: false);
            }
            else if (SendGathered(w, gathered, toRevision))
            {
                gathered.Clear();
                w.SentSinceProgressTick = true;
            }
            else
            {
                gathered.Clear();
                FallBehind(w, floor, victim: true);
            }
        }
        _touched.Clear();
    }

    /// <summary>Adds event <paramref name="i"/> to what <paramref name="w"/> is sent this round, unless it is below its MinRev or filtered.</summary>
    private void Gather(Watcher w, Event ev, int i)
    {
        if (ev.Kv.ModRevision < w.MinRev) return;
        if (ev.Type == Event.Types.EventType.Put ? (w.Filters & WatchFilters.NoPut) != 0 : (w.Filters & WatchFilters.NoDelete) != 0) return;
        var g = w.Gathered ??= new List<Event>();
        if (g.Count == 0) _touched.Add(w);
        g.Add(w.PrevKv ? ev : Bare(ev, i));
    }

    private readonly List<Event> _part = new();

    /// <summary>
    /// Sends what was gathered for <paramref name="w"/> (complete up to <paramref name="revision"/>), cut into responses of
    /// about <see cref="MaxResponseBytes"/> between revisions; advances MinRev past each part sent. False when the outlet
    /// refused a part: MinRev then says what was sent.
    /// </summary>
    private bool SendGathered(Watcher w, List<Event> gathered, long revision)
    {
        long bytes = 0;
        for (var i = 0; i < gathered.Count; i++) bytes += Size(gathered[i]);
        if (bytes < MaxResponseBytes)
        {
            if (!w.Outlet.TrySendEvents(w, gathered, revision)) return false;
            Advance(w, revision + 1);
            return true;
        }
        _part.Clear();
        bytes = 0;
        for (var i = 0; i < gathered.Count; i++)
        {
            var ev = gathered[i];
            var rev = ev.Kv.ModRevision;
            if (_part.Count > 0 && bytes >= MaxResponseBytes && rev != _part[^1].Kv.ModRevision)
            {
                // Complete up to the revision before this event: the events in between did not match.
                var sent = w.Outlet.TrySendEvents(w, _part, rev - 1);
                _part.Clear();
                if (!sent) return false;
                Advance(w, rev);
                bytes = 0;
            }
            _part.Add(ev);
            bytes += Size(ev);
        }
        var last = w.Outlet.TrySendEvents(w, _part, revision);
        _part.Clear();
        if (!last) return false;
        Advance(w, revision + 1);
        return true;
    }

    private static long Size(Event e) =>
        16 + e.Kv.Key.Length + e.Kv.Value.Length + (e.PrevKv is { } p ? 16 + p.Key.Length + p.Value.Length : 0);

    private void PrepareBare(int count, bool hasPrevKv)
    {
        _bare.Clear();
        if (!hasPrevKv) return;
        for (var i = 0; i < count; i++) _bare.Add(null);
    }

    /// <summary>The event without its previous key-value, for a watcher that did not ask for it: one copy per event at most.</summary>
    private Event Bare(Event ev, int i)
    {
        if (ev.PrevKv is null) return ev;
        return _bare[i] ??= new Event { Type = ev.Type, Kv = ev.Kv };
    }

    private void Advance(Watcher w, long minRev)
    {
        if (minRev < w.MinRev) throw new InvalidOperationException($"{w}: MinRev would go back to {minRev}");
        w.MinRev = minRev;
    }

    /// <summary>Every synced watcher falls behind: it has everything up to <see cref="CurrentRevision"/> and catches up from there.</summary>
    private void FallBehind()
    {
        if (_synced.Count == 0) return;
        _scratch.Clear();
        _synced.CopyTo(_scratch);
        foreach (var w in _scratch) FallBehind(w, CurrentRevision, victim: false);
        _scratch.Clear();
    }

    /// <summary>A synced watcher that has everything up to <paramref name="deliveredUpTo"/> moves to unsynced.</summary>
    private void FallBehind(Watcher w, long deliveredUpTo, bool victim)
    {
        Must(_synced.Remove(w), w);
        w.MinRev = Math.Max(w.MinRev, deliveredUpTo + 1);
        w.State = WatcherState.Unsynced;
        w.Victim = victim;
        w.Outlet.Behind++;
        _unsynced.Add(w);
    }

    private void Forget(Watcher w)
    {
        w.State = WatcherState.Removed;
        w.Outlet.Watchers--;
        if (w.PrevKv) PrevKvWatchers--;
        if (w.ProgressNotify) _progress.Remove(w);
        w.Gathered = null;
    }

    private static void Must(bool found, Watcher w)
    {
        if (!found) throw new InvalidOperationException($"{w} is not where its state says");
    }
}
