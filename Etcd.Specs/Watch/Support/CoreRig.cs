using Etcd.Actors.Watch.Core;
using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Specs.Watch;

/// <summary>
/// A <see cref="WatchableCore"/> with a model store around it: commits make revisions (each revision's changes are one
/// txn), and history reads are answered from the model as the store answers them (bounded, never splitting a revision,
/// with previous key-values when asked, and the compacted revision).
/// </summary>
internal sealed class CoreRig
{
    private readonly Dictionary<string, KeyValue> _live = new();

    public CoreRig(int perRound = 512, int perRead = 1000, long maxResponseBytes = WatchableCore.DefaultMaxResponseBytes)
    {
        Core = new WatchableCore(perRound, perRead, maxResponseBytes);
        Core.StoreOpened(Revision);
    }

    public WatchableCore Core { get; }

    /// <summary>Every event ever committed, with its previous key-value.</summary>
    public List<Event> History { get; } = new();

    public long Revision { get; private set; } = 1;

    public long Compacted { get; private set; } = -1;

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public static KeyRange Key(string k) => new(B(k), null);

    public static KeyRange Prefix(string p) => KeyRange.FromRequest(B(p), B(p[..^1] + (char)(p[^1] + 1)))!.Value;

    public static KeyRange FromKey(string k) => new(B(k), ByteString.Empty);

    /// <summary>One revision: a put (value) or delete (null) per change; returns its events.</summary>
    public List<Event> Revise(params (string Key, string? Value)[] changes)
    {
        var rev = Revision + 1;
        var evs = new List<Event>();
        foreach (var (key, value) in changes)
        {
            _live.TryGetValue(key, out var prev);
            if (value is null)
            {
                if (prev is null) continue;
                _live.Remove(key);
                evs.Add(new Event { Type = Event.Types.EventType.Delete, Kv = new KeyValue { Key = B(key), ModRevision = rev }, PrevKv = prev });
            }
            else
            {
                var kv = new KeyValue
                {
                    Key = B(key), Value = B(value), ModRevision = rev,
                    CreateRevision = prev?.CreateRevision ?? rev, Version = (prev?.Version ?? 0) + 1,
                };
                _live[key] = kv;
                evs.Add(new Event { Type = Event.Types.EventType.Put, Kv = kv, PrevKv = prev });
            }
        }
        if (evs.Count == 0) return evs;
        Revision = rev;
        History.AddRange(evs);
        return evs;
    }

    /// <summary>Commits revisions as one batch and notifies the core; <paramref name="withPrevKv"/> false strips previous values, as a store not asked for them does.</summary>
    public void Batch(bool withPrevKv, params (string Key, string? Value)[][] revisions)
    {
        var from = Revision;
        var events = new List<Event>();
        foreach (var r in revisions) events.AddRange(Revise(r));
        if (events.Count == 0) return;
        Core.Notify(events.Select(e => withPrevKv ? e : Strip(e)).ToList(), from, Revision, withPrevKv);
    }

    public void Put(string key, string value) => Batch(true, [(key, value)]);

    public void Delete(string key) => Batch(true, [(key, null)]);

    public void Compact(long rev) => Compacted = Math.Max(Compacted, rev);

    /// <summary>Starts a round if the core can (the hub does after every message).</summary>
    public HistoryRequest? Sync() => Core.HasWork ? Core.NextRound() : null;

    /// <summary>Answers the read in flight as the store would; false when there is none.</summary>
    public bool AnswerHistory()
    {
        if (Core.InFlight is not { } r) return false;
        var from = Math.Max(Math.Max(1, r.From), Compacted);
        var evs = new List<Event>();
        var upTo = r.To;
        var lastRev = 0L;
        foreach (var e in History)
        {
            var rev = e.Kv.ModRevision;
            if (rev < from) continue;
            if (rev > r.To) break;
            if (evs.Count >= r.MaxEvents && rev != lastRev)
            {
                upTo = lastRev;
                break;
            }
            lastRev = rev;
            evs.Add(r.PrevKv ? e : Strip(e));
        }
        Core.OnHistory(r.Round, evs, upTo, Compacted);
        return true;
    }

    /// <summary>Rounds until nobody is behind (every outlet must have room).</summary>
    public void CatchUp()
    {
        for (var i = 0; i < 10_000 && Core.UnsyncedCount > 0; i++)
        {
            Sync();
            if (!AnswerHistory() && Core.UnsyncedCount > 0 && Core.InFlight is null && !Core.HasWork)
                throw new InvalidOperationException("unsynced watchers but no round can start");
        }
        if (Core.UnsyncedCount > 0) throw new InvalidOperationException("did not catch up");
    }

    public Watcher Watch(RecordingOutlet outlet, KeyRange range, long start = 0, WatchFilters filters = WatchFilters.None,
        bool prevKv = false, bool progress = false, long id = 0)
    {
        var w = new Watcher(id, range, start, filters, prevKv, progress, false, outlet);
        Core.Add(w);
        return w;
    }

    /// <summary>What <paramref name="w"/> must receive of the history, from <paramref name="from"/> on.</summary>
    public IEnumerable<Event> Expected(Watcher w, long from) => History.Where(e =>
        e.Kv.ModRevision >= from && w.Range.Contains(e.Kv.Key)
        && !(e.Type == Event.Types.EventType.Put && (w.Filters & WatchFilters.NoPut) != 0)
        && !(e.Type == Event.Types.EventType.Delete && (w.Filters & WatchFilters.NoDelete) != 0))
        .Select(e => w.PrevKv ? e : Strip(e));

    public static Event Strip(Event e) => e.PrevKv is null ? e : new Event { Type = e.Type, Kv = e.Kv };

    public static string Show(Event e) =>
        $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key.ToStringUtf8()}@{e.Kv.ModRevision}={e.Kv.Value.ToStringUtf8()}" + (e.PrevKv is { } p ? $" prev={p.Value.ToStringUtf8()}@{p.ModRevision}" : "");
}
