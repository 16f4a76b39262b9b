using Etcd.Actors.Raft.Core;
using Etcd.Specs.Support.Linearizability;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// Generates real linearizable histories: a seeded discrete-time simulation of concurrent clients on one
/// true key-value map. Each operation takes effect at one instant between its invocation and its return
/// (that instant decides its output); ambiguous ones take effect or not, possibly long after their client
/// gave up; failed ones never do. Every written value is unique, which the mutations rely on.
/// </summary>
internal sealed class ClientSimulation(ulong seed)
{
    public int Clients { get; init; } = 10;
    public int Keys { get; init; } = 5;
    public int Operations { get; init; } = 2_000;
    public int AmbiguousPercent { get; init; } = 3;
    public int FailedPercent { get; init; } = 1;

    /// <summary>Upper bound (ticks) of the time to the effect and from the effect to the reply.</summary>
    public int MaxLatency { get; init; } = 6;

    /// <summary>Share of operations that go to key 0, so one key sees heavy overlap.</summary>
    public int HotKeyPercent { get; init; } = 30;

    public IReadOnlyList<Operation> Run()
    {
        var rnd = new SeededRandomSource(seed);
        var store = new Dictionary<string, string>(StringComparer.Ordinal);
        var written = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var effects = new PriorityQueue<Action, (long Time, int Tie)>();
        var built = new List<Func<int, Operation>>();
        var nextFree = new long[Clients];
        var issued = 0;
        var sequence = 0;

        for (long t = 0; issued < Operations || effects.Count > 0; t++)
        {
            for (var c = 0; c < Clients && issued < Operations; c++)
            {
                if (nextFree[c] > t || rnd.Next(100) >= 60) continue;
                issued++;
                var key = rnd.Next(100) < HotKeyPercent ? "k0" : $"k{rnd.Next(Keys)}";
                var op = NextOp(rnd, c, key, ref sequence, store, written);
                var client = c;
                var invoke = t;
                var effectAt = t + rnd.Next(MaxLatency + 1);
                var ret = effectAt + rnd.Next(MaxLatency + 1);
                var roll = rnd.Next(100);
                if (roll < AmbiguousPercent)
                {
                    // The client times out; the request may still land, even after the client moved on.
                    if (rnd.Next(2) == 0) effects.Enqueue(() => Execute(op, store, written), (t + rnd.Next(4 * MaxLatency + 1), rnd.Next(1 << 30)));
                    nextFree[c] = t + 1 + rnd.Next(2 * MaxLatency);
                    built.Add(id => Operation.Ambiguous(id, client, op, invoke));
                }
                else if (roll < AmbiguousPercent + FailedPercent)
                {
                    nextFree[c] = ret + rnd.Next(2);
                    built.Add(id => Operation.Failed(id, client, op, invoke, ret));
                }
                else
                {
                    OpOutput? output = null;
                    effects.Enqueue(() => output = Execute(op, store, written), (effectAt, rnd.Next(1 << 30)));
                    nextFree[c] = ret + rnd.Next(2);
                    built.Add(id => Operation.Ok(id, client, op, invoke, ret, output ?? throw new InvalidOperationException("effect never ran")));
                }
            }
            // Effects due now run in a random order: operations overlapping at this instant are concurrent.
            while (effects.TryPeek(out _, out var due) && due.Time <= t) effects.Dequeue()();
        }
        return built.Select((make, id) => make(id)).ToList();
    }

    private static KvOp NextOp(SeededRandomSource rnd, int client, string key, ref int sequence,
        Dictionary<string, string> store, Dictionary<string, List<string>> written)
    {
        var value = $"c{client}.{sequence++}";
        var roll = rnd.Next(100);
        if (roll < 40) return KvOp.Get(key);
        if (roll < 65) return KvOp.Put(key, value);
        if (roll < 90)
        {
            // Mostly the value the client could have just read, sometimes a stale one or "absent".
            string? expected = rnd.Next(4) switch
            {
                0 or 1 => store.GetValueOrDefault(key),
                2 when written.TryGetValue(key, out var seen) && seen.Count > 0 => seen[rnd.Next(seen.Count)],
                _ => null,
            };
            return KvOp.Cas(key, expected, value);
        }
        return KvOp.Delete(key);
    }

    private static OpOutput Execute(KvOp op, Dictionary<string, string> store, Dictionary<string, List<string>> written)
    {
        switch (op.Kind)
        {
            case OpKind.Get:
                return OpOutput.Get(store.GetValueOrDefault(op.Key));
            case OpKind.Delete:
                store.Remove(op.Key);
                return OpOutput.Delete();
            case OpKind.Put:
                Write(op.Key, op.Value!, store, written);
                return OpOutput.Put();
            default:
                var swapped = store.GetValueOrDefault(op.Key) == op.Expected;
                if (swapped) Write(op.Key, op.Value!, store, written);
                return OpOutput.Cas(swapped);
        }
    }

    private static void Write(string key, string value, Dictionary<string, string> store, Dictionary<string, List<string>> written)
    {
        store[key] = value;
        if (!written.TryGetValue(key, out var list)) written[key] = list = [];
        list.Add(value);
    }
}
