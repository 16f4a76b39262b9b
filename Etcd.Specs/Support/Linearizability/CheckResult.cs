namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// The checker's verdict. For <see cref="CheckVerdict.NotLinearizable"/> and
/// <see cref="CheckVerdict.Inconclusive"/>, <see cref="Key"/> names the key and <see cref="Report"/>
/// explains (for a violation: the operations of that key around the point where the search got stuck).
/// </summary>
public sealed record CheckResult
{
    public required CheckVerdict Verdict { get; init; }

    /// <summary>The key that is not linearizable, or the first one left inconclusive.</summary>
    public string? Key { get; init; }

    /// <summary>The operation whose completion no order could explain (deepest point of the search).</summary>
    public Operation? Stuck { get; init; }

    /// <summary>Human-readable explanation; one line for a linearizable history.</summary>
    public required string Report { get; init; }

    public required long Steps { get; init; }

    public required int Keys { get; init; }

    /// <summary>Operations checked (Failed ones excluded).</summary>
    public required int Operations { get; init; }

    /// <summary>Ambiguous operations the checker proved irrelevant and left out of the search.</summary>
    public int Pruned { get; init; }

    /// <summary>The largest memo any key's search built (entries); a measure of the memory the check took.</summary>
    public int MaxMemoEntries { get; init; }

    public bool IsLinearizable => Verdict == CheckVerdict.Linearizable;

    public override string ToString() => Report;
}
