using Etcd.Actors.Mvcc.Core;
using Google.Protobuf;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// Watchers keyed by what they watch (etcd's watcherGroup): single keys in a hash map; ranges grouped by their
/// exact interval (many watchers of one prefix share one entry) and found through a static interval index that
/// is rebuilt lazily after the set of distinct ranges changes, so a lookup costs O(log r + matches) for r
/// distinct ranges. Matching an event key is what every notification does for every event: no allocation there.
/// </summary>
public sealed class WatcherGroup
{
    private readonly Dictionary<ByteString, WatcherList> _keys = new();
    private readonly Dictionary<RangeKey, RangeEntry> _ranges = new();
    // The interval index: entries sorted by start key, viewed as an implicit balanced tree (the middle of
    // [lo, hi) is the root of that span); _maxEnd[mid] is the largest end in the span mid roots.
    private RangeEntry[] _sorted = [];
    private ByteString?[] _maxEnd = [];
    private bool _dirty;

    public int Count { get; private set; }

    public void Add(Watcher w)
    {
        var r = w.Range;
        if (r.IsSingleKey)
        {
            if (!_keys.TryGetValue(r.Key, out var list)) _keys[r.Key] = list = new WatcherList();
            list.Add(w);
        }
        else
        {
            var k = new RangeKey(r.Key, r.End!);
            if (!_ranges.TryGetValue(k, out var e))
            {
                _ranges[k] = e = new RangeEntry(r.Key, r.End!);
                _dirty = true;
            }
            e.Watchers.Add(w);
        }
        Count++;
    }

    public bool Remove(Watcher w)
    {
        var r = w.Range;
        if (r.IsSingleKey)
        {
            if (!_keys.TryGetValue(r.Key, out var list) || !list.Remove(w)) return false;
            if (list.Count == 0) _keys.Remove(r.Key);
        }
        else
        {
            var k = new RangeKey(r.Key, r.End!);
            if (!_ranges.TryGetValue(k, out var e) || !e.Watchers.Remove(w)) return false;
            if (e.Watchers.Count == 0)
            {
                _ranges.Remove(k);
                _dirty = true;
            }
        }
        Count--;
        return true;
    }

    /// <summary>Appends every watcher whose range holds <paramref name="key"/> to <paramref name="into"/>.</summary>
    public void Match(ByteString key, List<Watcher> into)
    {
        if (_keys.Count > 0 && _keys.TryGetValue(key, out var list))
            for (var i = 0; i < list.Count; i++) into.Add(list[i]);
        if (_ranges.Count == 0) return;
        if (_dirty) Rebuild();
        Stab(key, 0, _sorted.Length, into);
    }

    /// <summary>Every watcher of the group, in no particular order.</summary>
    public void CopyTo(List<Watcher> into)
    {
        foreach (var list in _keys.Values) list.CopyTo(into);
        foreach (var e in _ranges.Values) e.Watchers.CopyTo(into);
    }

    public void Clear()
    {
        foreach (var list in _keys.Values) list.Clear();
        foreach (var e in _ranges.Values) e.Watchers.Clear();
        _keys.Clear();
        _ranges.Clear();
        _sorted = [];
        _maxEnd = [];
        _dirty = false;
        Count = 0;
    }

    private void Stab(ByteString key, int lo, int hi, List<Watcher> into)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (!EndsAfter(_maxEnd[mid], key)) return; // nothing in this span reaches the key
            Stab(key, lo, mid, into);
            var e = _sorted[mid];
            if (ByteKeyComparer.CompareKeys(e.Start, key) > 0) return; // this entry and everything right of it start after the key
            if (EndsAfter(e.End, key))
                for (var i = 0; i < e.Watchers.Count; i++) into.Add(e.Watchers[i]);
            lo = mid + 1; // the right span, iteratively
        }
    }

    // An empty end is unbounded (from-key).
    private static bool EndsAfter(ByteString? end, ByteString key) =>
        end is not null && (end.IsEmpty || ByteKeyComparer.CompareKeys(end, key) > 0);

    private void Rebuild()
    {
        _sorted = new RangeEntry[_ranges.Count];
        _ranges.Values.CopyTo(_sorted, 0);
        Array.Sort(_sorted, static (a, b) => ByteKeyComparer.CompareKeys(a.Start, b.Start));
        _maxEnd = new ByteString?[_sorted.Length];
        Augment(0, _sorted.Length);
        _dirty = false;
    }

    private ByteString? Augment(int lo, int hi)
    {
        if (lo >= hi) return null;
        var mid = (lo + hi) >>> 1;
        var max = Max(_sorted[mid].End, Max(Augment(lo, mid), Augment(mid + 1, hi)));
        _maxEnd[mid] = max;
        return max;
    }

    private static ByteString? Max(ByteString? a, ByteString? b)
    {
        if (a is null) return b;
        if (b is null) return a;
        if (a.IsEmpty || b.IsEmpty) return ByteString.Empty;
        return ByteKeyComparer.CompareKeys(a, b) >= 0 ? a : b;
    }

    private readonly record struct RangeKey(ByteString Start, ByteString End);

    private sealed class RangeEntry(ByteString start, ByteString end)
    {
        public ByteString Start { get; } = start;
        public ByteString End { get; } = end;
        public WatcherList Watchers { get; } = new();
    }
}
