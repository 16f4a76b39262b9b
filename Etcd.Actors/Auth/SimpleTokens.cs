using System.Collections.Concurrent;
using System.Globalization;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth;

/// <summary>
/// etcd's simple tokens (auth/simple_token.go): <c>&lt;16 random letters&gt;.&lt;Raft index&gt;</c>, made when the
/// Authenticate entry is applied, so every member knows them; each lives <see cref="Ttl"/> past its last use (etcd's
/// default 5 minutes, refreshed on every use). The time is whatever the caller passes (a monotonic reading), never read
/// here. The table is bounded: at <see cref="Capacity"/> a new token evicts the one closest to expiry, i.e. the one
/// used least recently, so logins keep working and the oldest idle session is the one that must log in again.
/// <para>Thread-safe. <see cref="Resolve"/>, on every request of every client, takes no lock and allocates nothing: a
/// lock-free lookup, and the TTL refresh is one compare-and-swap on the token's own expiry. The expiry index is lazy:
/// it holds each token at an expiry at or before its real one, and is put right (a token moved to its real expiry)
/// only when <see cref="Expire"/> or the bound reach it, under a lock that only the changes take. The index used to
/// be updated on every use, under the caller's lock: a removal and an insertion (an allocated node) in a sorted set
/// per request, which every request of the member queued for (docs/benchmarks.md "Client TLS and auth"). Being a
/// concurrent table (a lock, atomics), it lives beside the auth core rather than in it (ArchitectureSpecs: cores take
/// no threads); the apply path reaches it through the Auth part, as it reaches AuthGate.</para>
/// </summary>
public sealed class SimpleTokens
{
    public const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    public const int PrefixLength = 16;

    /// <summary>etcd's simpleTokenTTLDefault (300 s), used for <c>--auth-token simple</c>.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _tokens = new(StringComparer.Ordinal);
    // Every token at its indexed expiry (at or before its real one, Entry.Expiry); changed only under _lock.
    private readonly SortedSet<(TimeSpan Expiry, long Sequence, string Token)> _byExpiry = new();
    private readonly Lock _lock = new();
    private long _sequence;

    public SimpleTokens(TimeSpan ttl, int capacity)
    {
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "a token TTL is positive");
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the token table holds at least one token");
        Ttl = ttl;
        Capacity = capacity;
    }

    public TimeSpan Ttl { get; }
    public int Capacity { get; }
    public int Count
    {
        get { lock (_lock) return _byExpiry.Count; }
    }

    /// <summary>etcd's genTokenPrefix: 16 letters drawn from <paramref name="random"/>.</summary>
    public static string NewPrefix(ITokenRandom random)
    {
        var chars = new char[PrefixLength];
        for (var i = 0; i < chars.Length; i++)
        {
            var n = random.Next(Letters.Length);
            if (n < 0 || n >= Letters.Length) throw new InvalidOperationException($"auth: token random gave {n}, outside [0, {Letters.Length})");
            chars[i] = Letters[n];
        }
        return new string(chars);
    }

    /// <summary>
    /// etcd's assign: the token for <paramref name="user"/> made by the Authenticate entry at <paramref name="index"/>.
    /// A token already in the table means two entries made the same one: etcd panics, and so does this.
    /// </summary>
    public string Assign(string user, string prefix, ulong index, TimeSpan now)
    {
        if (prefix.Length != PrefixLength || prefix.Any(c => !Letters.Contains(c)))
            throw new ArgumentException($"auth: a simple token prefix is {PrefixLength} letters", nameof(prefix));
        var token = $"{prefix}.{index.ToString(CultureInfo.InvariantCulture)}";
        lock (_lock)
        {
            if (_tokens.ContainsKey(token)) throw new InvalidOperationException("auth: a simple token was assigned twice");
            // Evicting re-indexes tokens used since they were indexed; each is re-indexed at most once per Assign, so
            // the loop ends after at most twice the table's size steps even while the tokens are in use.
            var steps = 2 * _byExpiry.Count + 1;
            while (_byExpiry.Count >= Capacity) EvictOne(steps-- > 0);
            Put(token, user, now + Ttl);
        }
        return token;
    }

    /// <summary>Whether the table holds <paramref name="token"/> (a re-applied Authenticate entry finds its token there).</summary>
    public bool Contains(string token) => _tokens.ContainsKey(token);

    /// <summary>
    /// etcd's info: the token's user, refreshing its TTL; "invalid auth token" when it is malformed, unknown, or
    /// expired (an expired one is dropped on the spot, not only by <see cref="Expire"/>).
    /// </summary>
    public EtcdError? Resolve(string token, TimeSpan now, out string user)
    {
        user = "";
        if (!TryParseIndex(token, out _) || !_tokens.TryGetValue(token, out var entry)) return EtcdErrors.InvalidAuthToken;
        if (!entry.Refresh(now, now + Ttl))
        {
            lock (_lock)
            {
                // Expired: dropped here (a use since the check would have found it expired too).
                if (_tokens.TryGetValue(token, out var current) && ReferenceEquals(current, entry) && now > entry.Expiry) Remove(token);
            }
            return EtcdErrors.InvalidAuthToken;
        }
        user = entry.User;
        return null;
    }

    /// <summary>
    /// A simple token's Raft index (<c>&lt;prefix&gt;.&lt;index&gt;</c>): etcd's isValidSimpleToken waits until the
    /// member has applied that index before looking the token up, so a token is usable on any member once it exists.
    /// </summary>
    public static bool TryParseIndex(string token, out ulong index)
    {
        index = 0;
        var dot = token.IndexOf('.');
        if (dot <= 0 || dot != token.LastIndexOf('.') || dot == token.Length - 1) return false;
        var digits = token.AsSpan(dot + 1);
        foreach (var c in digits) if (c is < '0' or > '9') return false;
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>etcd's TTL keeper tick: drops every token past its expiry; returns how many.</summary>
    public int Expire(TimeSpan now)
    {
        var dropped = 0;
        lock (_lock)
        {
            // A token indexed at an expiry already past is dropped if its real expiry is past too, else re-indexed at
            // its real one (past now: the loop does not meet it again).
            while (_byExpiry.Count > 0 && now > _byExpiry.Min.Expiry)
            {
                var (_, _, token) = _byExpiry.Min;
                if (now > _tokens[token].Expiry)
                {
                    Remove(token);
                    dropped++;
                }
                else Reindex(token);
            }
        }
        return dropped;
    }

    /// <summary>etcd's invalidateUser: a deleted user or a changed password ends the user's sessions.</summary>
    public void InvalidateUser(string user)
    {
        lock (_lock)
        {
            foreach (var token in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList()) Remove(token);
        }
    }

    /// <summary>etcd's disable: auth turned off drops every token.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _tokens.Clear();
            _byExpiry.Clear();
        }
    }

    /// <summary>
    /// Drops the least recently used token: the first of the index, unless it was used since it was indexed (it is
    /// then re-indexed at its real expiry and the next is looked at). With <paramref name="exact"/> false the first
    /// goes whatever its use, which bounds the loop of <see cref="Assign"/> while the tokens are being used.
    /// </summary>
    private void EvictOne(bool exact)
    {
        var (indexed, _, token) = _byExpiry.Min;
        if (exact && _tokens[token].Expiry > indexed) Reindex(token);
        else Remove(token);
    }

    private void Put(string token, string user, TimeSpan expiry)
    {
        var entry = new Entry(user, expiry, _sequence++);
        _tokens[token] = entry;
        _byExpiry.Add((expiry, entry.Sequence, token));
        if (_tokens.Count != _byExpiry.Count) throw new InvalidOperationException("auth: token table and expiry index disagree");
    }

    /// <summary>Moves <paramref name="token"/> in the index to its real expiry.</summary>
    private void Reindex(string token)
    {
        var entry = _tokens[token];
        _byExpiry.Remove((entry.Indexed, entry.Sequence, token));
        entry.Indexed = entry.Expiry;
        entry.Sequence = _sequence++;
        _byExpiry.Add((entry.Indexed, entry.Sequence, token));
    }

    private void Remove(string token)
    {
        if (_tokens.TryRemove(token, out var entry)) _byExpiry.Remove((entry.Indexed, entry.Sequence, token));
    }

    /// <summary>
    /// A live token: its user, its real expiry (last use + TTL, raised by <see cref="Refresh"/> without a lock), and
    /// where the index holds it (<see cref="Indexed"/>, <see cref="Sequence"/>: changed only under the table's lock).
    /// </summary>
    private sealed class Entry(string user, TimeSpan expiry, long sequence)
    {
        private long _expiryTicks = expiry.Ticks;

        public string User { get; } = user;
        public TimeSpan Indexed { get; set; } = expiry;
        public long Sequence { get; set; } = sequence;
        public TimeSpan Expiry => new(Volatile.Read(ref _expiryTicks));

        /// <summary>
        /// False when the token expired before <paramref name="now"/>; else its expiry becomes at least
        /// <paramref name="expiry"/> (never lowered: a concurrent use with a later clock reading wins).
        /// </summary>
        public bool Refresh(TimeSpan now, TimeSpan expiry)
        {
            var seen = Volatile.Read(ref _expiryTicks);
            while (true)
            {
                if (now.Ticks > seen) return false;
                if (seen >= expiry.Ticks) return true;
                var found = Interlocked.CompareExchange(ref _expiryTicks, expiry.Ticks, seen);
                if (found == seen) return true;
                seen = found;
            }
        }
    }
}
