using System.Text;

namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Renders the part of a key's sub-history where a violation shows: the operation nothing could explain,
/// why (what the search had linearized when it got stuck, or which value rule it breaks), and the
/// operations invoked around it or overlapping it, with invoke/return shown as positions in that key's
/// event order (not raw ticks).
/// </summary>
internal static class HistoryExcerpt
{
    private const int MaxLines = 40;
    private const int MaxAmbiguous = 6;

    /// <summary>The search's report: where it got furthest, and what it had linearized by then.</summary>
    public static string Render(KeyHistory h, KeyOutcome outcome, int radius)
    {
        if (outcome.StuckOp < 0) return $"key \"{h.Key}\": no operation could be linearized first";
        var stuck = h.Ops[outcome.StuckOp];
        var positions = EventPositions(h.All);
        var sb = new StringBuilder();
        sb.AppendLine($"no order of key \"{h.Key}\"'s operations explains op #{stuck.Id} " +
                      $"(client {stuck.Client}: {stuck.Op} -> {stuck.Output}, returned at event {positions[stuck].Return}).");
        sb.AppendLine($"Furthest the search got: {outcome.StuckDepth} of {h.Ops.Length} ops linearized, " +
                      $"value then {Value(h, outcome)}" +
                      (outcome.Trail.Count == 0 ? "." : ", last linearized: " +
                          string.Join(", ", outcome.Trail.Select(i => $"#{h.Ops[i].Id} {h.Ops[i].Op}")) + "."));
        AppendTable(sb, h, positions, stuck, [], radius);
        return sb.ToString().TrimEnd();
    }

    /// <summary>A value rule's report: the reason, with the writer (W) and overwriter (X) marked in the table.</summary>
    public static string Render(KeyHistory h, ValueViolation v, int radius)
    {
        var positions = EventPositions(h.All);
        var sb = new StringBuilder();
        sb.AppendLine($"key \"{h.Key}\": {v.Reason}.");
        var marked = new List<(Operation, string)>();
        if (v.Writer is { } w) marked.Add((w, "W "));
        if (v.Overwriter is { } x) marked.Add((x, "X "));
        AppendTable(sb, h, positions, v.Reader, marked, radius);
        return sb.ToString().TrimEnd();
    }

    private static void AppendTable(StringBuilder sb, KeyHistory h, Dictionary<Operation, (int Invoke, int Return)> positions,
        Operation stuck, List<(Operation Op, string Mark)> marked, int radius)
    {
        sb.AppendLine($"Operations on \"{h.Key}\" around it (positions in this key's event order; return inf = ambiguous):");
        sb.AppendLine($"     {"op",-7} {"client",-7} {"input",-34} {"output",-22} {"invoke",6} {"return",6}");

        var index = Array.FindIndex(h.All, o => ReferenceEquals(o, stuck));
        var from = Math.Max(0, index - radius);
        var to = Math.Min(h.All.Length - 1, index + radius);
        // The window around the stuck op, the definite ops overlapping it, and the most recent ambiguous
        // ones still pending then (every earlier ambiguous op overlaps it too; they would crowd the rest out).
        var window = h.All.Where((o, i) => (i >= from && i <= to) || (o.Outcome == OpOutcome.Ok && Overlaps(o, stuck)));
        var pending = h.All.Where((o, i) => i < from && o.Outcome == OpOutcome.Ambiguous && o.Invoke <= stuck.Return).ToList();
        var shown = window.Concat(pending.TakeLast(MaxAmbiguous))
            .Concat(marked.Select(m => m.Op))
            .Distinct(ReferenceEqualityComparer.Instance).Cast<Operation>()
            .OrderBy(o => o.Invoke).ThenBy(o => o.Id).Take(MaxLines).ToList();
        foreach (var o in shown)
        {
            var (inv, ret) = positions[o];
            var mark = ReferenceEquals(o, stuck) ? ">>" : marked.FirstOrDefault(m => ReferenceEquals(m.Op, o)).Mark ?? "  ";
            var output = o.Outcome == OpOutcome.Ok ? o.Output!.ToString() : "? (ambiguous)";
            sb.AppendLine($"  {mark} {"#" + o.Id,-7} {"c" + o.Client,-7} {Clip(o.Op.ToString(), 34),-34} {Clip(output, 22),-22} " +
                          $"{inv,6} {(ret < 0 ? "inf" : ret.ToString(System.Globalization.CultureInfo.InvariantCulture)),6}");
        }
        if (pending.Count > MaxAmbiguous) sb.AppendLine($"  ({pending.Count - MaxAmbiguous} earlier ambiguous ops, also pending, not shown)");
        if (shown.Count == MaxLines) sb.AppendLine($"  ... (cut at {MaxLines} lines)");
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
