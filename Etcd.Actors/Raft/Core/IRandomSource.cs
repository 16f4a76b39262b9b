namespace Etcd.Actors.Raft.Core;

/// <summary>
/// The only source of randomness the Raft core sees (election timeout jitter). Injected so that a
/// simulation driven from one seed replays exactly; the core never touches a shared generator.
/// </summary>
public interface IRandomSource
{
    /// <summary>A uniformly distributed integer in [0, maxExclusive).</summary>
    int Next(int maxExclusive);
}
