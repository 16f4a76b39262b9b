namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Decides whether a key-value client history is linearizable: whether every operation can be given one
/// instant between its invocation and its return (ambiguous ones: any instant after invocation, or none)
/// such that, in that order, each read sees the latest write, each Cas swaps iff the value equalled its
/// expectation, and a failed Cas changes nothing.
/// <para>Linearizability is compositional (Herlihy &amp; Wing): a history of independent registers is
/// linearizable iff each register's sub-history is. So each key is searched on its own (KeySearch), which
/// turns one exponential search over 20 000 operations into fifty small ones. Each key first goes through
/// <see cref="UniqueValueRules"/> (exact, O(n log n), catches stale reads and lost writes of uniquely
/// written values), then the search (<see cref="KeySearch"/>), which decides everything else.</para>
/// <para>Never says "linearizable" unless every key's search finished: a spent budget is
/// <see cref="CheckVerdict.Inconclusive"/>. A definite violation on any key wins over an inconclusive key.</para>
/// </summary>
public static class LinearizabilityChecker
{
    public static CheckResult Check(IEnumerable<Operation> history, CheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= CheckOptions.Default;
        var byKey = history
            .GroupBy(o => o.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => KeyHistory.Compile(g.Key, g.ToList(), options.InitialValues.GetValueOrDefault(g.Key)))
            .ToList();
        var operations = byKey.Sum(h => h.All.Length);
        var pruned = byKey.Sum(h => h.Pruned);

        long steps = 0;
        var memo = 0;
        (KeyHistory History, KeyOutcome Outcome, bool TotalSpent)? inconclusive = null;
        // The value rules first, on every key: they are cheap and name the violation precisely, so a bad
        // key late in the order is not kept waiting behind long searches of good ones.
        foreach (var h in options.UniqueValueRules ? byKey : [])
        {
            if (Linearizability.UniqueValueRules.Find(h, options.InitialValues.GetValueOrDefault(h.Key)) is { } violation)
            {
                return new CheckResult
                {
                    Verdict = CheckVerdict.NotLinearizable,
                    Key = h.Key,
                    Stuck = violation.Reader,
                    Report = $"not linearizable: {HistoryExcerpt.Render(h, violation, options.ExcerptRadius)}",
                    Steps = 0,
                    Keys = byKey.Count,
                    Operations = operations,
                    Pruned = pruned,
                };
            }
        }

        foreach (var h in byKey)
        {
            var allowance = Math.Min(options.MaxStepsPerKey, options.MaxStepsTotal - steps);
            var outcome = allowance > 0
                ? new KeySearch(h, options.MaxMemoEntriesPerKey).Run(allowance)
                : new KeyOutcome(CheckVerdict.Inconclusive, 0, 0, false, -1, 0, -1, 0, []);
            steps += Math.Min(outcome.Steps, allowance);
            memo = Math.Max(memo, outcome.MemoEntries);
            if (outcome.Verdict == CheckVerdict.NotLinearizable)
            {
                return new CheckResult
                {
                    Verdict = CheckVerdict.NotLinearizable,
                    Key = h.Key,
                    Stuck = h.Ops[outcome.StuckOp],
                    Report = $"not linearizable: {HistoryExcerpt.Render(h, outcome, options.ExcerptRadius)}",
                    Steps = steps,
                    Keys = byKey.Count,
                    Operations = operations,
                    Pruned = pruned,
                    MaxMemoEntries = memo,
                };
            }
            if (outcome.Verdict == CheckVerdict.Inconclusive)
                inconclusive ??= (h, outcome, allowance < options.MaxStepsPerKey);
        }

        if (inconclusive is var (ih, io, totalSpent))
        {
            var which = io.MemoFull
                ? $"key \"{ih.Key}\" ({ih.Ops.Length} ops) filled its memo bound of {options.MaxMemoEntriesPerKey} entries"
                : totalSpent
                    ? $"the overall budget of {options.MaxStepsTotal} steps ran out at key \"{ih.Key}\""
                    : $"key \"{ih.Key}\" ({ih.Ops.Length} ops) used its budget of {options.MaxStepsPerKey} steps";
            return new CheckResult
            {
                Verdict = CheckVerdict.Inconclusive,
                Key = ih.Key,
                Stuck = io.StuckOp >= 0 ? ih.Ops[io.StuckOp] : null,
                Report = $"inconclusive: {which}; nothing is proven about it",
                Steps = steps,
                Keys = byKey.Count,
                Operations = operations,
                Pruned = pruned,
                MaxMemoEntries = memo,
            };
        }
        return new CheckResult
        {
            Verdict = CheckVerdict.Linearizable,
            Report = $"linearizable: {operations} ops over {byKey.Count} keys, {steps} search steps, at most {memo} memo entries on a key" +
                     (pruned > 0 ? $", {pruned} unobservable ambiguous ops left out" : ""),
            Steps = steps,
            Keys = byKey.Count,
            Operations = operations,
            Pruned = pruned,
            MaxMemoEntries = memo,
        };
    }
}
