namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Bounds for <see cref="LinearizabilityChecker"/>. The search is exponential in the worst case, so it
/// counts steps (one candidate tried or one backtrack) instead of watching a clock: the same history
/// always gets the same verdict, on any machine. A step also bounds the memo cache (at most one entry per
/// step), so the budgets bound memory too.
/// </summary>
public sealed record CheckOptions
{
    public static readonly CheckOptions Default = new();

    /// <summary>Steps one key's search may take before that key is inconclusive.</summary>
    public long MaxStepsPerKey { get; init; } = 2_000_000;

    /// <summary>Steps all keys together may take; keys left when it runs out are inconclusive.</summary>
    public long MaxStepsTotal { get; init; } = 20_000_000;

    /// <summary>Values keys hold before the history starts; every other key starts absent.</summary>
    public IReadOnlyDictionary<string, string> InitialValues { get; init; } = new Dictionary<string, string>();

    /// <summary>How many operations either side of the stuck one a non-linearizable report lists.</summary>
    public int ExcerptRadius { get; init; } = 8;
}
