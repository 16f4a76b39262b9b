using Etcd.Actors.Raft.Core;
using Etcd.Specs.Support.Linearizability;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// Seeded randomized histories. Each run prints its seed; set LINCHECK_SEED to replay one.
/// Simulated executions (really linearizable, with random overlap, ambiguous and failed operations) must
/// pass, and one impossible output planted in them must be caught at the right key and operation; small
/// arbitrary histories must get the same verdict as the brute-force oracle.
/// </summary>
public class RandomizedHistorySpecs(ITestOutputHelper output)
{
    public static TheoryData<ulong> Seeds()
    {
        var data = new TheoryData<ulong>();
        if (ulong.TryParse(Environment.GetEnvironmentVariable("LINCHECK_SEED"), out var fixedSeed)) data.Add(fixedSeed);
        else for (ulong s = 1; s <= 6; s++) data.Add(s * 104_729);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Simulated_histories_pass_and_a_planted_impossible_output_is_caught(ulong seed)
    {
        output.WriteLine($"seed={seed} (replay with LINCHECK_SEED={seed})");
        var rnd = new SeededRandomSource(seed);
        var sim = new ClientSimulation(seed)
        {
            Clients = 3 + rnd.Next(10),
            Keys = 1 + rnd.Next(6),
            Operations = 1_000 + rnd.Next(2_000),
            AmbiguousPercent = rnd.Next(6),
            FailedPercent = rnd.Next(3),
            MaxLatency = 1 + rnd.Next(6),
        };
        output.WriteLine($"clients={sim.Clients} keys={sim.Keys} ops={sim.Operations} ambiguous={sim.AmbiguousPercent}% latency<={sim.MaxLatency}");
        var history = sim.Run();
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine(result.Report);
        Assert.True(result.IsLinearizable, $"seed {seed}: {result.Report}");

        var searchRefuted = 0;
        for (var i = 0; i < 6; i++)
        {
            var m = HistoryMutation.Pick(history, rnd);
            Assert.NotNull(m);
            var r = LinearizabilityChecker.Check(m.History);
            Assert.True(r.Verdict == CheckVerdict.NotLinearizable, $"seed {seed}, {m}: {r.Report}");
            Assert.Equal(m.Original.Key, r.Key);
            Assert.Equal(m.Original.Id, r.Stuck?.Id);

            // The search alone, on a small budget: it may run out, but it must never accept the history,
            // and when it refutes it, it gets stuck exactly at the planted op (everything before it is fine).
            var s = LinearizabilityChecker.Check(m.History, SearchOnly);
            output.WriteLine($"{m} -> {r.Verdict}; search alone: {s.Verdict} in {s.Steps} steps");
            Assert.True(s.Verdict != CheckVerdict.Linearizable, $"seed {seed}, {m}: the search accepted it");
            if (s.Verdict == CheckVerdict.NotLinearizable)
            {
                searchRefuted++;
                Assert.Equal(m.Original.Key, s.Key);
                Assert.Equal(m.Original.Id, s.Stuck?.Id);
            }
        }
        output.WriteLine($"the search alone refuted {searchRefuted} of 6 within {SearchOnly.MaxStepsPerKey} steps a key");
    }

    private static readonly CheckOptions SearchOnly = new() { UniqueValueRules = false, MaxStepsPerKey = 3_000_000 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_checker_agrees_with_brute_force_on_small_random_histories(ulong seed)
    {
        output.WriteLine($"seed={seed} (replay with LINCHECK_SEED={seed})");
        var rnd = new SeededRandomSource(seed);
        int linearizable = 0, rejected = 0;
        for (var round = 0; round < 1000; round++)
        {
            var history = SmallHistory(rnd);
            string? initial = rnd.Next(3) == 0 ? "a" : null;
            var options = new CheckOptions
            {
                InitialValues = initial is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["x"] = initial, ["y"] = initial },
            };
            var expected = BruteForceLinearizability.IsLinearizable(history, initial);
            foreach (var rules in new[] { true, false })
            {
                var result = LinearizabilityChecker.Check(history, options with { UniqueValueRules = rules });
                Assert.True(result.Verdict != CheckVerdict.Inconclusive, result.Report);
                Assert.True(expected == result.IsLinearizable,
                    $"seed {seed} round {round} (initial {KvOp.Quote(initial)}, value rules {rules}): oracle says {expected}, checker {result.Verdict}\n" +
                    string.Join('\n', history) + "\n" + result.Report);
            }
            if (expected) linearizable++;
            else rejected++;
        }
        output.WriteLine($"{linearizable} linearizable, {rejected} not");
        // Both answers must be common, or the comparison proves little.
        Assert.InRange(linearizable, 100, 900);
    }

    /// <summary>
    /// Up to 7 operations on one or two keys, with arbitrary (often impossible) outputs. Half the histories
    /// draw values from three shared ones, half write a unique value per op (what the value rules reason about).
    /// </summary>
    private static List<Operation> SmallHistory(SeededRandomSource rnd)
    {
        var n = 1 + rnd.Next(7);
        string[] values = rnd.Next(2) == 0 ? ["a", "b", "c"] : [.. Enumerable.Range(0, n).Select(i => $"v{i}")];
        var unique = values.Length == n;
        string? AnyValue() => rnd.Next(4) == 0 ? null : values[rnd.Next(values.Length)];
        string Written(int id) => unique ? values[id] : values[rnd.Next(values.Length)];
        var twoKeys = rnd.Next(4) == 0;
        var ops = new List<Operation>(n);
        for (var id = 0; id < n; id++)
        {
            var key = twoKeys && rnd.Next(2) == 0 ? "y" : "x";
            var invoke = rnd.Next(12);
            var ret = invoke + rnd.Next(6);
            var (op, output) = rnd.Next(4) switch
            {
                0 => (KvOp.Put(key, Written(id)), OpOutput.Put()),
                1 => (KvOp.Get(key), OpOutput.Get(AnyValue())),
                2 => (KvOp.Cas(key, AnyValue(), Written(id)), OpOutput.Cas(rnd.Next(2) == 0)),
                _ => (KvOp.Delete(key), OpOutput.Delete()),
            };
            var roll = rnd.Next(100);
            ops.Add(roll < 75 ? Operation.Ok(id, id % 3, op, invoke, ret, output)
                : roll < 93 ? Operation.Ambiguous(id, id % 3, op, invoke)
                : Operation.Failed(id, id % 3, op, invoke, ret));
        }
        return ops;
    }
}
