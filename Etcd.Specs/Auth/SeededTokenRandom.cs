using Etcd.Actors.Auth.Core;

namespace Etcd.Specs.Auth;

/// <summary>A seeded token source, so token specs are deterministic.</summary>
internal sealed class SeededTokenRandom(int seed) : ITokenRandom
{
    private readonly Random _random = new(seed);

    public int Next(int exclusiveMax) => _random.Next(exclusiveMax);
}
