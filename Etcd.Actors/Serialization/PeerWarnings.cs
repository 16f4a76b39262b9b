namespace Etcd.Actors.Serialization;

/// <summary>
/// At most one warning per sender per <c>interval</c> about messages dropped at the peer port, so a
/// misconfigured member of another cluster (it sends a heartbeat every 100 ms) does not flood the log, yet every
/// sender is named once. The table of senders is bounded: when it is full, senders not in it share one entry
/// (their first warning names the sender that triggered it). Not thread-safe: owned by one actor.
/// </summary>
public sealed class PeerWarnings(TimeSpan interval, int capacity, Func<TimeSpan> now)
{
    /// <summary>Senders beyond the table's capacity are counted under this key.</summary>
    public const string Overflow = "(other senders)";

    private readonly Dictionary<string, (TimeSpan LastWarned, long Suppressed)> _senders = new(StringComparer.Ordinal);

    public int Count => _senders.Count;

    /// <summary>
    /// Whether a drop from <paramref name="sender"/> should be logged now; <paramref name="suppressed"/> is how
    /// many drops of that sender (or of the overflow entry) were not logged since its last warning.
    /// </summary>
    public bool ShouldWarn(string sender, out long suppressed)
    {
        var t = now();
        if (!_senders.ContainsKey(sender) && _senders.Count >= capacity)
        {
            // Forget senders that have been quiet for an interval before sharing the overflow entry.
            foreach (var (key, entry) in _senders.ToArray())
                if (t - entry.LastWarned >= interval && key != Overflow) _senders.Remove(key);
            if (_senders.Count >= capacity) sender = Overflow;
        }
        if (_senders.TryGetValue(sender, out var e) && t - e.LastWarned < interval)
        {
            _senders[sender] = (e.LastWarned, e.Suppressed + 1);
            suppressed = 0;
            return false;
        }
        suppressed = e.Suppressed;
        _senders[sender] = (t, 0);
        return true;
    }
}
