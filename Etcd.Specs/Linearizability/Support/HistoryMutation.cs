using Etcd.Actors.Raft.Core;
using Etcd.Specs.Support.Linearizability;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// Changes one output of a history (from <see cref="ClientSimulation"/>: every written value unique) so
/// that no linearization can exist, whatever the rest of the history allows:
/// <list type="bullet">
/// <item>a Get returns a value nobody wrote;</item>
/// <item>a Get returns v although a definite write W of something else was invoked after v's definite
/// writer returned and itself returned before the Get was invoked (stale read / lost write / unseen delete);</item>
/// <item>a Cas expecting such an overwritten v is reported as having swapped.</item>
/// </list>
/// Only the unique definite writer could have produced v, it precedes W in real time, and W precedes the
/// mutated operation, so the key cannot hold v there.
/// </summary>
internal static class HistoryMutation
{
    public sealed record Mutation(string Kind, Operation Original, Operation Mutated, IReadOnlyList<Operation> History)
    {
        public override string ToString() => $"{Kind}: {Original} became {Mutated}";
    }

    public static Mutation? Pick(IReadOnlyList<Operation> history, SeededRandomSource rnd)
    {
        var kinds = new List<Func<Mutation?>>
        {
            () => NeverWritten(history, rnd),
            () => StaleRead(history, rnd),
            () => StaleCas(history, rnd),
        };
        while (kinds.Count > 0)
        {
            var i = rnd.Next(kinds.Count);
            if (kinds[i]() is { } m) return m;
            kinds.RemoveAt(i);
        }
        return null;
    }

    private static Mutation? NeverWritten(IReadOnlyList<Operation> history, SeededRandomSource rnd)
    {
        var gets = history.Where(o => o.Outcome == OpOutcome.Ok && o.Op.Kind == OpKind.Get).ToList();
        if (gets.Count == 0) return null;
        var g = gets[rnd.Next(gets.Count)];
        return Replace(history, "read of a value never written", g, OpOutput.Get($"ghost-{g.Id}"));
    }

    private static Mutation? StaleRead(IReadOnlyList<Operation> history, SeededRandomSource rnd)
    {
        var choices = new List<(Operation Target, string Value)>();
        foreach (var g in history.Where(o => o.Outcome == OpOutcome.Ok && o.Op.Kind == OpKind.Get))
            foreach (var v in OverwrittenBefore(history, g))
                if (v != g.Output!.Value) choices.Add((g, v));
        if (choices.Count == 0) return null;
        var (target, value) = choices[rnd.Next(choices.Count)];
        return Replace(history, "stale read", target, OpOutput.Get(value));
    }

    private static Mutation? StaleCas(IReadOnlyList<Operation> history, SeededRandomSource rnd)
    {
        var choices = history
            .Where(o => o.Outcome == OpOutcome.Ok && o.Op.Kind == OpKind.Cas && !o.Output!.Succeeded && o.Op.Expected is not null)
            .Where(o => OverwrittenBefore(history, o).Contains(o.Op.Expected!))
            .ToList();
        if (choices.Count == 0) return null;
        var target = choices[rnd.Next(choices.Count)];
        return Replace(history, "cas swapped on an overwritten value", target, OpOutput.Cas(true));
    }

    /// <summary>
    /// Values the key cannot hold at <paramref name="at"/>: written by a definite op that returned before some
    /// definite write W of another value was invoked, W having returned before <paramref name="at"/> was invoked.
    /// </summary>
    private static HashSet<string> OverwrittenBefore(IReadOnlyList<Operation> history, Operation at)
    {
        bool Definite(Operation o) => o.Outcome == OpOutcome.Ok && o.Key == at.Key;
        var lastOverwriteInvoke = history
            .Where(w => Definite(w) && w.Return < at.Invoke && Effective(w))
            .Select(w => (long?)w.Invoke)
            .Max();
        if (lastOverwriteInvoke is not { } m) return [];
        return history
            .Where(p => Definite(p) && Effective(p) && p.Op.Kind != OpKind.Delete && p.Return < m)
            .Select(p => p.Op.Value!)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Put, Delete and a Cas that swapped change the value; what they wrote is unique (or absent).</summary>
    private static bool Effective(Operation o) => o.Op.Kind is OpKind.Put or OpKind.Delete || (o.Op.Kind == OpKind.Cas && o.Output!.Succeeded);

    private static Mutation Replace(IReadOnlyList<Operation> history, string kind, Operation target, OpOutput output)
    {
        var mutated = Operation.Ok(target.Id, target.Client, target.Op, target.Invoke, target.Return, output);
        return new Mutation(kind, target, mutated, history.Select(o => ReferenceEquals(o, target) ? mutated : o).ToList());
    }
}
