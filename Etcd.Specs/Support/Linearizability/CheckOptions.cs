namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Bounds for <see cref="LinearizabilityChecker"/>. The search is exponential in the worst case, so it
/// counts steps (one candidate tried or one backtrack) instead of watching a clock: the same history
/// always gets the same verdict, on any machine. A step is cheap (10-20 million a second here), so the
/// defaults allow a few seconds per key; a separate bound caps the memo's memory.
/// </summary>
public sealed record CheckOptions
{
    public static readonly CheckOptions Default = new();

    /// <summary>Steps one key's search may take before that key is inconclusive.</summary>
    public long MaxStepsPerKey { get; init; } = 50_000_000;

    /// <summary>Steps all keys together may take; keys left when it runs out are inconclusive.</summary>
    public long MaxStepsTotal { get; init; } = 200_000_000;

    /// <summary>
    /// Memo entries one key's search may keep (about 80 bytes each) before that key is inconclusive: the
    /// step budget alone would allow gigabytes.
    /// </summary>
    public int MaxMemoEntriesPerKey { get; init; } = 4_000_000;

    /// <summary>
    /// Run <see cref="UniqueValueRules"/> before the search. Off only to exercise the search alone (specs):
    /// the rules are exact, and without them refuting a history with many lost writes can exhaust the budget.
    /// </summary>
    public bool UniqueValueRules { get; init; } = true;

    /// <summary>Values keys hold before the history starts; every other key starts absent.</summary>
    public IReadOnlyDictionary<string, string> InitialValues { get; init; } = new Dictionary<string, string>();

    /// <summary>How many operations either side of the stuck one a non-linearizable report lists.</summary>
    public int ExcerptRadius { get; init; } = 8;
}
