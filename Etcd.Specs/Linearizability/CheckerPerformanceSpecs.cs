using System.Diagnostics;
using Etcd.Actors.Raft.Core;
using Etcd.Specs.Support.Linearizability;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Linearizability;

/// <summary>
/// The size the process-level specs will produce: ~20 000 operations over ~50 keys from 30 concurrent
/// clients, with ambiguous operations. The time is printed; the bound is loose (a busy 2-core machine)
/// but catches a search that went exponential.
/// </summary>
public class CheckerPerformanceSpecs(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public void Twenty_thousand_ops_over_fifty_keys_from_thirty_clients_check_in_seconds(int hotKeyPercent)
    {
        const ulong Seed = 20_000;
        var history = new ClientSimulation(Seed)
        {
            Clients = 30,
            Keys = 50,
            Operations = 20_000,
            AmbiguousPercent = 3,
            FailedPercent = 1,
            MaxLatency = 8,
            HotKeyPercent = hotKeyPercent,
        }.Run();
        var hot = history.Count(o => o.Key == "k0");

        var sw = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(history);
        sw.Stop();
        output.WriteLine($"{history.Count} ops ({hot} on the hottest key), {result.Keys} keys: {result.Verdict} in {sw.ElapsedMilliseconds} ms, {result.Steps} steps");
        Assert.True(result.IsLinearizable, result.Report);

        var mutation = HistoryMutation.Pick(history, new SeededRandomSource(Seed));
        Assert.NotNull(mutation);
        sw.Restart();
        var rejected = LinearizabilityChecker.Check(mutation.History);
        sw.Stop();
        output.WriteLine($"{mutation} -> {rejected.Verdict} in {sw.ElapsedMilliseconds} ms, {rejected.Steps} steps");
        Assert.Equal(CheckVerdict.NotLinearizable, rejected.Verdict);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"{sw.Elapsed}");
    }

    [Fact]
    public async Task Recording_a_full_history_from_thirty_tasks_is_cheap()
    {
        const int Tasks = 30, PerTask = HistoryRecorder.DefaultCapacity / Tasks;
        var rec = new HistoryRecorder();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(c => Task.Run(() =>
        {
            for (var i = 0; i < PerTask; i++) rec.Complete(rec.Invoke(c, KvOp.Put($"k{i % 50}", "v")), OpOutput.Put());
        })));
        sw.Stop();
        output.WriteLine($"{Tasks * PerTask} ops recorded from {Tasks} tasks in {sw.ElapsedMilliseconds} ms " +
                         $"({sw.Elapsed.TotalNanoseconds / (Tasks * PerTask):F0} ns per invoke+complete)");
        Assert.Equal(Tasks * PerTask, rec.History().Count(o => o.Outcome == OpOutcome.Ok));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"{sw.Elapsed}");
    }
}
