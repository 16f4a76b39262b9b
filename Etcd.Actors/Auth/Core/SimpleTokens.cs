using System.Globalization;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// etcd's simple tokens (auth/simple_token.go): <c>&lt;16 random letters&gt;.&lt;Raft index&gt;</c>, made when the
/// Authenticate entry is applied, so every member knows them; each lives <see cref="Ttl"/> past its last use (etcd's
/// default 5 minutes, refreshed on every use). The time is whatever the caller passes (a monotonic reading), never read
/// here. The table is bounded: at <see cref="Capacity"/> a new token evicts the one closest to expiry, i.e. the one
/// used least recently, so logins keep working and the oldest idle session is the one that must log in again.
/// </summary>
public sealed class SimpleTokens
{
    public const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    public const int PrefixLength = 16;

    /// <summary>etcd's simpleTokenTTLDefault (300 s), used for <c>--auth-token simple</c>.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Entry> _tokens = new(StringComparer.Ordinal);
    private readonly SortedSet<(TimeSpan Expiry, long Sequence, string Token)> _byExpiry = new();
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
    public int Count => _tokens.Count;

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
        if (_tokens.ContainsKey(token)) throw new InvalidOperationException("auth: a simple token was assigned twice");
        while (_tokens.Count >= Capacity) Remove(_byExpiry.Min.Token);
        Put(token, user, now + Ttl);
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
        if (now > entry.Expiry)
        {
            Remove(token);
            return EtcdErrors.InvalidAuthToken;
        }
        _byExpiry.Remove((entry.Expiry, entry.Sequence, token));
        Put(token, entry.User, now + Ttl);
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
        while (_byExpiry.Count > 0 && now > _byExpiry.Min.Expiry)
        {
            Remove(_byExpiry.Min.Token);
            dropped++;
        }
        return dropped;
    }

    /// <summary>etcd's invalidateUser: a deleted user or a changed password ends the user's sessions.</summary>
    public void InvalidateUser(string user)
    {
        foreach (var token in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList()) Remove(token);
    }

    /// <summary>etcd's disable: auth turned off drops every token.</summary>
    public void Clear()
    {
        _tokens.Clear();
        _byExpiry.Clear();
    }

    private void Put(string token, string user, TimeSpan expiry)
    {
        var entry = new Entry(user, expiry, _sequence++);
        _tokens[token] = entry;
        _byExpiry.Add((expiry, entry.Sequence, token));
        if (_tokens.Count != _byExpiry.Count) throw new InvalidOperationException("auth: token table and expiry index disagree");
    }

    private void Remove(string token)
    {
        if (_tokens.Remove(token, out var entry)) _byExpiry.Remove((entry.Expiry, entry.Sequence, token));
    }

    private readonly record struct Entry(string User, TimeSpan Expiry, long Sequence);
}
