namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Lowe's memo entry: the set of operations linearized so far plus the model state they led to. Two search
/// paths reaching the same pair have the same future, so the second is cut off.
/// <para>The definite part of the set is stored compressed: the leading all-ones words are only counted
/// (<see cref="Prefix"/>), and the words from there up to the last non-zero one are kept. The search
/// linearizes roughly in time order, so that tail stays a few words long even for a 20 000-op key.
/// Probes reference the search's live arrays; stored entries own copies.</para>
/// </summary>
internal readonly struct CacheKey(ulong hash, int state, int prefix, ulong[] def, int defStart, int defCount, ulong[] amb)
    : IEquatable<CacheKey>
{
    private readonly ulong _hash = hash;
    private readonly int _state = state;
    private readonly int _prefix = prefix;
    private readonly ulong[] _def = def;
    private readonly int _defStart = defStart;
    private readonly int _defCount = defCount;
    private readonly ulong[] _amb = amb;

    public int Prefix => _prefix;

    /// <summary>A stored entry: copies the live words so later changes to the search's bitsets do not leak in.</summary>
    public CacheKey Copy() => new(
        _hash, _state, _prefix, _def.AsSpan(_defStart, _defCount).ToArray(), 0, _defCount, _amb.Length == 0 ? _amb : (ulong[])_amb.Clone());

    public bool Equals(CacheKey other) =>
        _hash == other._hash && _state == other._state && _prefix == other._prefix && _defCount == other._defCount
        && _def.AsSpan(_defStart, _defCount).SequenceEqual(other._def.AsSpan(other._defStart, other._defCount))
        && _amb.AsSpan().SequenceEqual(other._amb);

    public override bool Equals(object? obj) => obj is CacheKey k && Equals(k);

    public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
}
