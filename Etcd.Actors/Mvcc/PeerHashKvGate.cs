using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// What the store spends on <see cref="PeerHashKVRequest"/>s, which anyone on the peer port may send (they are
/// answered without a cluster id, as etcd serves /members/hashkv: docs/design.md, "Trust model of the peer port").
/// A hash reads every kept revision on the store's thread, so:
/// <list type="bullet">
/// <item>The last answer is kept with what it depends on (requested revision, current and compacted revision,
/// term): asking again while none of them moved costs nothing. Members starting together ask at the same
/// revision; the leader's periodic check asks every member at its own.</item>
/// <item>Computing a new one takes a token from the sender's bucket (<see cref="SenderBurst"/>, one back every
/// <see cref="SenderRefill"/>) and from the store's (<see cref="StoreBurst"/>, one back every
/// <see cref="StoreRefill"/>): at most 4 hashes a second whoever asks. Beyond that the answer is
/// etcd's "too many requests", which a peer's check reports and skips, as it skips a peer that does not answer.</item>
/// <item>Senders are keyed by their (claimed) address, and remembered only once they had a hash: at most
/// <see cref="MaxSenders"/>, idle ones (bucket full again) forgotten first, and the rest share one bucket.</item>
/// </list>
/// No Akka, no clock (<c>now</c> is the caller's); not thread-safe: owned by the store actor.
/// </summary>
public sealed class PeerHashKvGate(Func<TimeSpan> now)
{
    public const int SenderBurst = 2;
    public static readonly TimeSpan SenderRefill = TimeSpan.FromMilliseconds(500);
    public const int StoreBurst = 8;
    public static readonly TimeSpan StoreRefill = TimeSpan.FromMilliseconds(250);
    public const int MaxSenders = 64;

    /// <summary>Senders beyond <see cref="MaxSenders"/> share this bucket.</summary>
    public const string Overflow = "(other senders)";

    private readonly Dictionary<string, Bucket> _senders = new(StringComparer.Ordinal);
    private Bucket _store;
    private (long Requested, long Current, long Compacted, ulong Term) _cachedKey;
    private PeerHashKVResponse? _cached;

    public int SenderCount => _senders.Count;

    /// <summary>The last answer, when it was computed for the same request and nothing it depends on moved since.</summary>
    public PeerHashKVResponse? Cached(long requested, long current, long compacted, ulong term) =>
        _cached is not null && _cachedKey == (requested, current, compacted, term) ? _cached : null;

    public void Remember(long requested, long current, long compacted, ulong term, PeerHashKVResponse answer)
    {
        _cachedKey = (requested, current, compacted, term);
        _cached = answer;
    }

    /// <summary>Whether <paramref name="sender"/> may have a new hash computed now (takes a token from its bucket and the store's).</summary>
    public bool TryAdmit(string sender)
    {
        var t = now();
        if (!_senders.ContainsKey(sender) && _senders.Count >= MaxSenders)
        {
            // Forget senders whose bucket is full again (idle) before sharing the overflow bucket.
            foreach (var (key, b) in _senders.ToArray())
                if (key != Overflow && b.IsFull(t)) _senders.Remove(key);
            if (_senders.Count >= MaxSenders) sender = Overflow;
        }
        var own = _senders.TryGetValue(sender, out var known) ? known : default;
        if (!own.CanTake(t, SenderBurst, SenderRefill) || !_store.CanTake(t, StoreBurst, StoreRefill)) return false;
        _senders[sender] = own.Take(t, SenderRefill);
        _store = _store.Take(t, StoreRefill);
        return true;
    }

    /// <summary>
    /// A token bucket kept as the time it would be full again (the generic cell rate algorithm): exact in ticks,
    /// no fractions of tokens. A burst of n is available when that time is at most n - 1 intervals ahead.
    /// </summary>
    private readonly record struct Bucket(TimeSpan FullAt)
    {
        public bool IsFull(TimeSpan now) => FullAt <= now;

        public bool CanTake(TimeSpan now, int burst, TimeSpan every) => FullAt - now <= every * (burst - 1);

        public Bucket Take(TimeSpan now, TimeSpan every) => new((FullAt > now ? FullAt : now) + every);
    }
}
