namespace Etcd.Actors.Auth.Core;

/// <summary>
/// The union of a user's intervals for one permission type, as disjoint, non-adjacent intervals sorted by their
/// begin. etcd keeps an interval tree per user and asks whether the intervals a request's range meets cover it
/// contiguously (adt.IntervalTree.Contains, range_perm_cache.go); merging once when the cache entry is built
/// turns each question into one binary search.
/// </summary>
public sealed class MergedIntervals
{
    private readonly KeyInterval[] _intervals;

    public MergedIntervals(IEnumerable<KeyInterval> intervals)
    {
        var sorted = intervals.OrderBy(i => i.Begin, Comparer<Google.Protobuf.ByteString>.Create(KeyBytes.Compare)).ToList();
        var merged = new List<KeyInterval>(sorted.Count);
        foreach (var next in sorted)
        {
            if (merged.Count > 0)
            {
                var last = merged[^1];
                // Overlapping or touching ([a,b) then [b,c)): one interval. A null end already reaches everything.
                if (last.End is null || KeyBytes.Compare(next.Begin, last.End) <= 0)
                {
                    if (!last.EndsAtOrAfter(next.End)) merged[^1] = last with { End = next.End };
                    continue;
                }
            }
            merged.Add(next);
        }
        _intervals = merged.ToArray();
        for (var i = 1; i < _intervals.Length; i++)
        {
            // The lookup relies on this: fail loudly rather than answer from a broken index.
            if (_intervals[i - 1].End is null || KeyBytes.Compare(_intervals[i - 1].End!, _intervals[i].Begin) >= 0)
                throw new InvalidOperationException("auth: merged permission intervals overlap");
        }
    }

    public IReadOnlyList<KeyInterval> Intervals => _intervals;

    /// <summary>Whether every key of <paramref name="wanted"/> lies in the union.</summary>
    public bool Covers(KeyInterval wanted)
    {
        var found = LastBeginningAtOrBefore(wanted.Begin);
        if (found < 0) return false;
        var candidate = _intervals[found];
        // wanted.Begin must be inside the candidate (not at or past its end) ...
        if (candidate.End is not null && KeyBytes.Compare(candidate.End, wanted.Begin) <= 0) return false;
        // ... and its end must reach wanted's end. A range whose end is at or below its key (Range answers it
        // empty) needs only its first key: the candidate then already ends past wanted.End.
        return candidate.EndsAtOrAfter(wanted.End);
    }

    /// <summary>
    /// Whether the one key <paramref name="key"/> lies in the union: <see cref="Covers"/> of <c>[key, key + "\0")</c>
    /// without making that interval (a successor key allocated per key, where a lease's every key is checked). The
    /// least key above <paramref name="key"/> is <c>key + "\0"</c>, so an end above the key reaches that interval's end.
    /// </summary>
    public bool CoversKey(Google.Protobuf.ByteString key)
    {
        var found = LastBeginningAtOrBefore(key);
        if (found < 0) return false;
        var end = _intervals[found].End;
        return end is null || KeyBytes.Compare(end, key) > 0;
    }

    // The only candidate is the last interval beginning at or before the key: the next one begins later, and the
    // intervals are disjoint and non-adjacent, so a gap separates them. -1 when none does.
    private int LastBeginningAtOrBefore(Google.Protobuf.ByteString key)
    {
        int lo = 0, hi = _intervals.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (KeyBytes.Compare(_intervals[mid].Begin, key) <= 0) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}
