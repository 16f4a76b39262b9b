namespace Etcd.Actors.Raft.Core;

/// <summary>
/// SplitMix64: tiny, fast, and stable across .NET versions (System.Random's algorithm for a given seed
/// is not a documented contract), so a seed printed by a failing simulation replays the same run.
/// </summary>
public sealed class SeededRandomSource(ulong seed) : IRandomSource
{
    private ulong _state = seed;

    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
