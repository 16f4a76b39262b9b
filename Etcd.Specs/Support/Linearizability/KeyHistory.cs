namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// One key's sub-history compiled for the search: values interned to small ints (0 = absent), operations
/// in flat arrays, and the definite operations' call and return events in time order.
/// <para>Numbering: definite operations are 0..<see cref="DefiniteCount"/>-1 by invocation, ambiguous
/// ones follow. Ambiguous operations have no return event: they live in their own list and become
/// candidates once invoked, and the search is done when every definite operation is linearized.
/// Whatever ambiguous operations are left then simply never happened.</para>
/// <para>At equal timestamps a call sorts before a return: the clock could not order them, so the two
/// operations are treated as concurrent. That can only allow more orders, never report a false violation.</para>
/// </summary>
internal sealed class KeyHistory
{
    private KeyHistory(string key, Operation[] all, Operation[] ops, int definite, int pruned)
    {
        Key = key;
        All = all;
        Ops = ops;
        DefiniteCount = definite;
        Pruned = pruned;
        var n = ops.Length;
        Kind = new OpKind[n];
        Arg = new int[n];
        Expected = new int[n];
        Out = new int[n];
        CallEvent = new int[definite];
        ReturnEvent = new int[definite];
        EventOp = new int[2 * definite];
        EventIsCall = new bool[2 * definite];
        EventTime = new long[2 * definite];
        AmbInvoke = new long[n - definite];
        AmbiguousTwin = new int[n - definite];
    }

    public string Key { get; }

    /// <summary>The key's operations that may have happened (Failed ones are gone), as given; for reports.</summary>
    public Operation[] All { get; }

    /// <summary>The operations the search uses, numbered as described above.</summary>
    public Operation[] Ops { get; }

    public int DefiniteCount { get; }

    public int AmbiguousCount => Ops.Length - DefiniteCount;

    /// <summary>Ambiguous operations left out because no observation could depend on them.</summary>
    public int Pruned { get; }

    public OpKind[] Kind { get; }

    /// <summary>Put's value, or Cas's new value (interned).</summary>
    public int[] Arg { get; }

    /// <summary>Cas's expected value (interned; 0 = absent).</summary>
    public int[] Expected { get; }

    /// <summary>Get's output value, or 1/0 for a Cas that did/did not swap; definite operations only.</summary>
    public int[] Out { get; }

    public int[] CallEvent { get; }

    public int[] ReturnEvent { get; }

    public int[] EventOp { get; }

    public bool[] EventIsCall { get; }

    public long[] EventTime { get; }

    /// <summary>
    /// For ambiguous operation <c>DefiniteCount + j</c> at index j: the previous ambiguous op (index in the
    /// same numbering) with exactly the same effect, or -1.
    /// </summary>
    public int[] AmbiguousTwin { get; }

    /// <summary>Invocation time of ambiguous operation <c>DefiniteCount + j</c> at index j, ascending.</summary>
    public long[] AmbInvoke { get; }

    public int Initial { get; private set; }

    /// <summary>Interned values by id; index 0 (absent) is null.</summary>
    public string?[] Values { get; private set; } = [null];

    /// <summary>The id standing for every unread value, or -1 if the key has none.</summary>
    public int UnreadId { get; private set; } = -1;

    /// <summary>A state as reports print it.</summary>
    public string Describe(int state) => state == UnreadId ? UnreadValue : KvOp.Quote(Values[state]);

    public static KeyHistory Compile(string key, IReadOnlyList<Operation> ops, string? initial)
    {
        var all = ops.Where(o => o.Outcome != OpOutcome.Failed).OrderBy(o => o.Invoke).ThenBy(o => o.Id).ToArray();
        var definite = all.Where(o => o.Outcome == OpOutcome.Ok).ToArray();

        // An ambiguous Get changes nothing and its output is unconstrained: it can always be left out.
        var ambiguous = all.Where(o => o.Outcome == OpOutcome.Ambiguous && o.Op.Kind != OpKind.Get).ToList();
        var kept = PruneUnobservableWrites(definite, ambiguous);
        var pruned = all.Length - definite.Length - kept.Count;

        var h = new KeyHistory(key, all, [.. definite, .. kept], definite.Length, pruned);
        h.Fill(initial);
        return h;
    }

    /// <summary>
    /// An ambiguous write of a value nobody observes (no definite Get returns it, no Cas expects it) can
    /// be dropped when the key has no definitely failed Cas. Proof: in any linearization where it takes
    /// effect, until the next Put or Delete the value is one no Get may return and no Cas may expect, so
    /// only ambiguous Cas can sit there, and they fail (no-ops, so they may as well never happen). Removing
    /// the write and those no-ops leaves a valid linearization. A failed Cas breaks the argument (it may
    /// need the key to hold "anything but its expected value"), hence the condition.
    /// This keeps writes lost in a crash from multiplying the search by two each.
    /// </summary>
    private static List<Operation> PruneUnobservableWrites(Operation[] definite, List<Operation> ambiguous)
    {
        if (ambiguous.Count == 0 || definite.Any(o => o.Op.Kind == OpKind.Cas && !o.Output!.Succeeded)) return ambiguous;
        var observed = new HashSet<string>(StringComparer.Ordinal);
        var absentObserved = false;
        foreach (var o in definite.Concat(ambiguous))
        {
            string? seen;
            if (o.Op.Kind == OpKind.Get && o.Outcome == OpOutcome.Ok) seen = o.Output!.Value;
            else if (o.Op.Kind == OpKind.Cas) seen = o.Op.Expected;
            else continue;
            if (seen is null) absentObserved = true;
            else observed.Add(seen);
        }
        return ambiguous.Where(o => o.Op.Kind == OpKind.Delete ? absentObserved : observed.Contains(o.Op.Value!)).ToList();
    }

    /// <summary>What the search prints for the one state that stands for every value nobody reads.</summary>
    public const string UnreadValue = "<a value nobody reads>";

    /// <summary>
    /// Interns values. Only values something can observe get their own id: a definite Get's output, a
    /// Cas's expectation, the initial value. Every other value is one id: no read returns it and no Cas
    /// expects it, so the model cannot tell such values apart. Merging them lets the memo merge positions
    /// that differ only in which unread value is current, and makes ambiguous writes of unread values
    /// interchangeable (<see cref="AmbiguousTwin"/>).
    /// </summary>
    private void Fill(string? initial)
    {
        var observed = new HashSet<string>(StringComparer.Ordinal);
        if (initial is not null) observed.Add(initial);
        foreach (var o in Ops)
        {
            if (o.Op.Kind == OpKind.Cas && o.Op.Expected is { } e) observed.Add(e);
            if (o.Op.Kind == OpKind.Get && o.Outcome == OpOutcome.Ok && o.Output!.Value is { } v) observed.Add(v);
        }
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new List<string?> { null };
        var unread = -1;
        int Intern(string? v)
        {
            if (v is null) return 0;
            if (ids.TryGetValue(v, out var id)) return id;
            if (!observed.Contains(v))
            {
                if (unread < 0)
                {
                    unread = values.Count;
                    values.Add(UnreadValue);
                }
                return unread;
            }
            id = values.Count;
            ids.Add(v, id);
            values.Add(v);
            return id;
        }

        Initial = Intern(initial);
        for (var i = 0; i < Ops.Length; i++)
        {
            var o = Ops[i];
            Kind[i] = o.Op.Kind;
            Arg[i] = Intern(o.Op.Value);
            Expected[i] = Intern(o.Op.Expected);
            if (o.Outcome == OpOutcome.Ok)
                Out[i] = o.Op.Kind == OpKind.Get ? Intern(o.Output!.Value) : o.Output!.Succeeded ? 1 : 0;
        }
        Values = [.. values];
        UnreadId = unread;

        // Ambiguous ops with the same effect are interchangeable: the search only ever uses the earliest
        // unused one, so k identical lost writes cost k+1 positions instead of 2^k.
        var lastOfKind = new Dictionary<(OpKind, int, int), int>();
        for (var j = 0; j < AmbiguousCount; j++)
        {
            var i = DefiniteCount + j;
            var signature = (Kind[i], Kind[i] == OpKind.Delete ? 0 : Arg[i], Kind[i] == OpKind.Cas ? Expected[i] : 0);
            AmbiguousTwin[j] = lastOfKind.GetValueOrDefault(signature, -1);
            lastOfKind[signature] = j;
        }

        var events = new (long Time, int IsReturn, int Op)[2 * DefiniteCount];
        for (var i = 0; i < DefiniteCount; i++)
        {
            events[2 * i] = (Ops[i].Invoke, 0, i);
            events[2 * i + 1] = (Ops[i].Return, 1, i);
        }
        Array.Sort(events);
        for (var e = 0; e < events.Length; e++)
        {
            var (time, isReturn, op) = events[e];
            EventOp[e] = op;
            EventTime[e] = time;
            EventIsCall[e] = isReturn == 0;
            if (isReturn == 0) CallEvent[op] = e;
            else ReturnEvent[op] = e;
        }
        for (var j = 0; j < AmbiguousCount; j++) AmbInvoke[j] = Ops[DefiniteCount + j].Invoke;
    }
}
