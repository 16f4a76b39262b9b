using Etcd.Specs.Support.Linearizability;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// The definition of linearizability, executed literally, for histories of a handful of operations: try
/// every order that respects real time (an op may go next unless some remaining definite op returned
/// before it was invoked), with each ambiguous op free to appear anywhere after its invocation with any
/// output, or not at all. No memo, no pruning, nothing shared with the real checker: an oracle to
/// compare it against.
/// </summary>
internal static class BruteForceLinearizability
{
    public static bool IsLinearizable(IReadOnlyList<Operation> history, string? initial = null)
    {
        var ops = history.Where(o => o.Outcome != OpOutcome.Failed).ToList();
        if (ops.Select(o => o.Key).Distinct().Count() > 1)
            return ops.GroupBy(o => o.Key).All(g => IsLinearizable(g.ToList(), initial));
        return Search(ops, initial);
    }

    private static bool Search(List<Operation> remaining, string? value)
    {
        if (remaining.All(o => o.Outcome == OpOutcome.Ambiguous)) return true;
        for (var i = 0; i < remaining.Count; i++)
        {
            var x = remaining[i];
            if (remaining.Any(y => y.Outcome == OpOutcome.Ok && y.Return < x.Invoke)) continue;
            foreach (var after in Effects(x, value))
            {
                var rest = new List<Operation>(remaining);
                rest.RemoveAt(i);
                if (Search(rest, after)) return true;
            }
        }
        return false;
    }

    /// <summary>The values the key may hold after <paramref name="op"/> runs on <paramref name="value"/> (none if it cannot run).</summary>
    private static IEnumerable<string?> Effects(Operation op, string? value)
    {
        var o = op.Op;
        var ambiguous = op.Outcome == OpOutcome.Ambiguous;
        switch (o.Kind)
        {
            case OpKind.Put:
                yield return o.Value;
                break;
            case OpKind.Delete:
                yield return null;
                break;
            case OpKind.Get:
                if (ambiguous || op.Output!.Value == value) yield return value;
                break;
            default:
                var matches = value == o.Expected;
                var swapped = ambiguous ? matches : op.Output!.Succeeded;
                if (swapped == matches) yield return swapped ? o.Value : value;
                break;
        }
    }
}
