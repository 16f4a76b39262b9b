using System.Text;

namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Renders the part of a key's sub-history where the search got stuck: the operation no order could
/// explain, what the search had linearized just before, and the operations invoked around it or
/// overlapping it, with invoke/return shown as positions in that key's event order (not raw ticks).
/// </summary>
internal static class HistoryExcerpt
{
    private const int MaxLines = 40;
    private const int MaxAmbiguous = 6;

    public static string Render(KeyHistory h, KeyOutcome outcome, int radius)
    {
        var sb = new StringBuilder();
        var positions = EventPositions(h.All);
        var stuck = outcome.StuckOp >= 0 ? h.Ops[outcome.StuckOp] : null;
        if (stuck is null)
        {
            sb.Append($"key \"{h.Key}\": no operation could be linearized first");
            return sb.ToString();
        }

        sb.AppendLine($"no order of key \"{h.Key}\"'s operations explains op #{stuck.Id} " +
                      $"(client {stuck.Client}: {stuck.Op} -> {stuck.Output}, returned at event {positions[stuck].Return}).");
        sb.AppendLine($"Furthest the search got: {outcome.StuckDepth} of {h.Ops.Length} ops linearized, " +
                      $"value then {Value(h, outcome)}" +
                      (outcome.Trail.Count == 0 ? "." : ", last linearized: " +
                          string.Join(", ", outcome.Trail.Select(i => $"#{h.Ops[i].Id} {h.Ops[i].Op}")) + "."));
        sb.AppendLine($"Operations on \"{h.Key}\" around it (positions in this key's event order; return inf = ambiguous):");
        sb.AppendLine($"     {"op",-7} {"client",-7} {"input",-34} {"output",-22} {"invoke",6} {"return",6}");

        var index = Array.FindIndex(h.All, o => ReferenceEquals(o, stuck));
        var from = Math.Max(0, index - radius);
        var to = Math.Min(h.All.Length - 1, index + radius);
        // The window around the stuck op, the definite ops overlapping it, and the most recent ambiguous
        // ones still pending then (every earlier ambiguous op overlaps it too; they would crowd the rest out).
        var window = h.All.Where((o, i) => (i >= from && i <= to) || (o.Outcome == OpOutcome.Ok && Overlaps(o, stuck)));
        var pending = h.All.Where((o, i) => i < from && o.Outcome == OpOutcome.Ambiguous && o.Invoke <= stuck.Return).ToList();
        var shown = window.Concat(pending.TakeLast(MaxAmbiguous)).OrderBy(o => o.Invoke).ThenBy(o => o.Id).Take(MaxLines).ToList();
        foreach (var o in shown)
        {
            var (inv, ret) = positions[o];
            var mark = ReferenceEquals(o, stuck) ? ">>" : "  ";
            var output = o.Outcome == OpOutcome.Ok ? o.Output!.ToString() : "? (ambiguous)";
            sb.AppendLine($"  {mark} {"#" + o.Id,-7} {"c" + o.Client,-7} {Clip(o.Op.ToString(), 34),-34} {Clip(output, 22),-22} " +
                          $"{inv,6} {(ret < 0 ? "inf" : ret.ToString(System.Globalization.CultureInfo.InvariantCulture)),6}");
        }
        if (pending.Count > MaxAmbiguous) sb.AppendLine($"  ({pending.Count - MaxAmbiguous} earlier ambiguous ops, also pending, not shown)");
        if (shown.Count == MaxLines) sb.AppendLine($"  ... (cut at {MaxLines} lines)");
        return sb.ToString().TrimEnd();
    }

    /// <summary>Numbers every invoke and return of the key in time order (calls first on ties, as the search does).</summary>
    private static Dictionary<Operation, (int Invoke, int Return)> EventPositions(Operation[] ops)
    {
        var events = new List<(long Time, int IsReturn, int Index)>(2 * ops.Length);
        for (var i = 0; i < ops.Length; i++)
        {
            events.Add((ops[i].Invoke, 0, i));
            if (ops[i].Outcome == OpOutcome.Ok) events.Add((ops[i].Return, 1, i));
        }
        events.Sort();
        var inv = new int[ops.Length];
        var ret = new int[ops.Length];
        Array.Fill(ret, -1);
        for (var p = 0; p < events.Count; p++)
        {
            if (events[p].IsReturn == 0) inv[events[p].Index] = p;
            else ret[events[p].Index] = p;
        }
        var map = new Dictionary<Operation, (int, int)>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < ops.Length; i++) map[ops[i]] = (inv[i], ret[i]);
        return map;
    }

    /// <summary>The concrete value at the stuck point: the search only tracks it up to "some unread value".</summary>
    private static string Value(KeyHistory h, KeyOutcome outcome)
    {
        if (outcome.StuckWriter < 0) return $"{h.Describe(outcome.StuckState)} (initial)";
        var w = h.Ops[outcome.StuckWriter];
        var written = w.Op.Kind == OpKind.Delete ? "absent" : KvOp.Quote(w.Op.Value);
        return $"{written} (from #{w.Id})";
    }

    private static bool Overlaps(Operation a, Operation b) => a.Invoke <= b.Return && b.Invoke <= a.Return;

    private static string Clip(string s, int width) => s.Length <= width ? s : s[..(width - 3)] + "...";
}
