namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Cheap, exact refutations that need no search, for values with a single writer (workloads write unique
/// values, so that is nearly all of them). An observation of v (a Get returning v, a Cas that swapped
/// from v) must be linearized after v's writer W and with no effective write in between. So it is
/// impossible if v was never written (and is not the initial value), if the observer returned before W
/// was invoked, or if some definite write X (a Put, a Delete, a Cas that swapped) was invoked after W
/// returned and returned before the observer was invoked: real time then orders W, X, observer, and X
/// replaced v.
/// <para>The search would reach the same verdict, but proving a negative means visiting every order of
/// the history before the observer, which with many lost writes can exceed any budget. These rules turn
/// the common violations (stale read, lost write, unseen delete, read of garbage) into an O(n log n)
/// check with a one-line explanation. Values written more than once, and absence, are left to the search.</para>
/// </summary>
internal static class UniqueValueRules
{
    public static ValueViolation? Find(KeyHistory h, string? initial)
    {
        // Writers of each value (ambiguous ones included: they may have landed), and the initial value as
        // a writer that returned before time began.
        var writers = new Dictionary<string, List<Operation?>>(StringComparer.Ordinal);
        if (initial is not null) writers[initial] = [null];
        foreach (var o in h.All)
        {
            if (o.Op.Kind is not (OpKind.Put or OpKind.Cas)) continue;
            if (o.Op.Kind == OpKind.Cas && o.Outcome == OpOutcome.Ok && !o.Output!.Succeeded) continue;
            if (!writers.TryGetValue(o.Op.Value!, out var list)) writers[o.Op.Value!] = list = [];
            list.Add(o);
        }

        // Definite effective writes by invocation, with the earliest return among those invoked later.
        var overwrites = h.All.Where(o => o.Outcome == OpOutcome.Ok && (o.Op.Kind is OpKind.Put or OpKind.Delete || (o.Op.Kind == OpKind.Cas && o.Output!.Succeeded)))
            .OrderBy(o => o.Invoke).ToArray();
        var invokes = overwrites.Select(o => o.Invoke).ToArray();
        var earliestReturnFrom = new int[overwrites.Length + 1];
        earliestReturnFrom[overwrites.Length] = -1;
        for (var i = overwrites.Length - 1; i >= 0; i--)
        {
            var best = earliestReturnFrom[i + 1];
            earliestReturnFrom[i] = best < 0 || overwrites[i].Return < overwrites[best].Return ? i : best;
        }

        foreach (var r in h.All.Where(o => o.Outcome == OpOutcome.Ok).OrderBy(o => o.Return))
        {
            var seen = r.Op.Kind switch
            {
                OpKind.Get => r.Output!.Value,
                OpKind.Cas when r.Output!.Succeeded => r.Op.Expected,
                _ => null,
            };
            if (seen is null) continue;
            var what = r.Op.Kind == OpKind.Get ? $"read {KvOp.Quote(seen)}" : $"swapped from {KvOp.Quote(seen)}";
            if (!writers.TryGetValue(seen, out var ws))
                return new ValueViolation(r, null, null, $"op #{r.Id} {what}, which no operation wrote");
            if (ws.Count != 1) continue;
            var w = ws[0];
            if (w is not null && r.Return < w.Invoke)
                return new ValueViolation(r, w, null, $"op #{r.Id} {what} and returned before its only writer, op #{w.Id}, was invoked");

            // The first definite write invoked after W returned; any of those returning before R was invoked proves it.
            var wReturn = w?.Return ?? long.MinValue;
            if (wReturn == Operation.Infinity) continue;
            var first = UpperBound(invokes, wReturn);
            var x = earliestReturnFrom[first];
            if (x >= 0 && overwrites[x].Return < r.Invoke)
            {
                var x0 = overwrites[x];
                var source = w is null ? "the initial value" : $"written only by op #{w.Id}";
                return new ValueViolation(r, w, x0,
                    $"op #{r.Id} {what} ({source}), but op #{x0.Id} ({x0.Op}) replaced it: it started after that write returned and returned before op #{r.Id} started");
            }
        }
        return null;
    }

    /// <summary>The index of the first element greater than <paramref name="value"/>.</summary>
    private static int UpperBound(long[] sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
