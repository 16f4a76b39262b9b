namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Lowe's memo entry: the set of operations linearized so far plus the model state they led to. Two search
/// paths reaching the same pair have the same future, so the second is cut off.
/// <para>The definite part of the set is stored compressed: the leading all-ones words are only counted
/// (<c>prefix</c>), then the words up to the last non-zero one follow. The search linearizes roughly in
/// time order, so that tail is usually one or two words even for a 20 000-op key; those, and the first
/// word of the ambiguous set, live inline so a typical entry allocates nothing beyond the set's slot.
/// Longer parts sit in arrays: the search's live ones for a probe, copies for a stored entry.</para>
/// </summary>
internal readonly struct CacheKey : IEquatable<CacheKey>
{
    private readonly ulong _hash;
    private readonly int _state;
    private readonly int _prefix;
    private readonly int _defCount;
    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _a0;
    private readonly ulong[]? _def;
    private readonly int _defStart;
    private readonly ulong[]? _amb;

    /// <summary>A probe over the search's live bitsets: <paramref name="def"/> words [prefix, top) and all of <paramref name="amb"/>.</summary>
    public CacheKey(ulong hash, int state, int prefix, int top, ulong[] def, ulong[] amb)
    {
        _hash = hash;
        _state = state;
        _prefix = prefix;
        _defCount = top - prefix;
        _w0 = _defCount > 0 ? def[prefix] : 0;
        _w1 = _defCount > 1 ? def[prefix + 1] : 0;
        _a0 = amb.Length > 0 ? amb[0] : 0;
        _def = _defCount > 2 ? def : null;
        _defStart = prefix;
        _amb = amb.Length > 1 ? amb : null;
    }

    private CacheKey(in CacheKey probe, ulong[]? def, ulong[]? amb)
    {
        this = probe;
        _def = def;
        _defStart = 0;
        _amb = amb;
    }

    /// <summary>A stored entry: copies what lives in the search's arrays, which keep changing.</summary>
    public CacheKey Copy() => new(
        this,
        _def is null ? null : _def.AsSpan(_defStart, _defCount).ToArray(),
        _amb is null ? null : (ulong[])_amb.Clone());

    public bool Equals(CacheKey other) =>
        _hash == other._hash && _state == other._state && _prefix == other._prefix && _defCount == other._defCount
        && _w0 == other._w0 && _w1 == other._w1 && _a0 == other._a0
        && (_def is null || _def.AsSpan(_defStart, _defCount).SequenceEqual(other._def.AsSpan(other._defStart, other._defCount)))
        && (_amb is null || _amb.AsSpan().SequenceEqual(other._amb));

    public override bool Equals(object? obj) => obj is CacheKey k && Equals(k);

    public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
}
