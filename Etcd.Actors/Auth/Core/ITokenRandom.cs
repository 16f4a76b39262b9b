namespace Etcd.Actors.Auth.Core;

/// <summary>
/// Where a simple token's letters come from. The node passes a cryptographic source (etcd uses crypto/rand); specs
/// pass a seeded one, so the core itself holds no randomness.
/// </summary>
public interface ITokenRandom
{
    /// <summary>A uniformly chosen integer in <c>[0, exclusiveMax)</c>.</summary>
    int Next(int exclusiveMax);
}
