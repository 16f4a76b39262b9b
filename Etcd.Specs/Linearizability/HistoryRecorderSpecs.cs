using Etcd.Specs.Support.Linearizability;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Linearizability;

public class HistoryRecorderSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Many_tasks_recording_against_a_locked_register_produce_a_consistent_linearizable_history()
    {
        // Sixteen keys, not four: the checker's search grows steeply with the operations that overlap on one key, and a
        // busy machine preempting clients between invoke and reply gave four keys histories that ran out of
        // the 50 million step budget; with sixteen, the same run takes well under a million steps per key.
        const int Tasks = 24, PerTask = 400, Keys = 16;
        var rec = new HistoryRecorder();
        var store = new Dictionary<string, string>();
        var gate = new object();
        var start = new ManualResetEventSlim(false);

        // Each task is one client: strictly sequential, so its own operations must not overlap.
        var clients = Enumerable.Range(0, Tasks).Select(c => Task.Factory.StartNew(() =>
        {
            var rnd = new Random(c);
            start.Wait();
            for (var i = 0; i < PerTask; i++)
            {
                var key = $"k{rnd.Next(Keys)}";
                var op = rnd.Next(4) switch
                {
                    0 => KvOp.Get(key),
                    1 => KvOp.Put(key, $"c{c}.{i}"),
                    2 => KvOp.Cas(key, rnd.Next(2) == 0 ? null : $"c{rnd.Next(Tasks)}.{rnd.Next(i + 1)}", $"c{c}.{i}"),
                    _ => KvOp.Delete(key),
                };
                var h = rec.Invoke(c, op);
                var fate = rnd.Next(20);
                if (fate == 0) { rec.Failed(h); continue; }               // rejected: never applied
                if (fate == 1) continue;                                  // never completed: counts as ambiguous
                OpOutput result;
                lock (gate) result = Apply(store, op);                    // the linearization point
                if (fate == 2) rec.Ambiguous(h);                          // applied, but the reply was lost
                else rec.Complete(h, result);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        start.Set();
        await Task.WhenAll(clients);

        var history = rec.History();
        Assert.Equal(Tasks * PerTask, history.Count);
        Assert.Equal(Tasks * PerTask, rec.Count);
        Assert.Equal(Enumerable.Range(0, history.Count), history.Select(o => o.Id));
        Assert.All(history, o => Assert.True(o.Return >= o.Invoke));
        Assert.All(history.Where(o => o.Outcome == OpOutcome.Ok), o => Assert.Equal(o.Op.Kind, o.Output!.Kind));
        foreach (var client in history.GroupBy(o => o.Client))
        {
            var mine = client.OrderBy(o => o.Invoke).ToList();
            Assert.Equal(PerTask, mine.Count);
            for (var i = 1; i < mine.Count; i++)
                if (mine[i - 1].Outcome != OpOutcome.Ambiguous)
                    Assert.True(mine[i - 1].Return <= mine[i].Invoke, $"client {client.Key} overlaps itself: {mine[i - 1]} / {mine[i]}");
        }
        Assert.Contains(history, o => o.Outcome == OpOutcome.Ambiguous);
        Assert.Contains(history, o => o.Outcome == OpOutcome.Failed);

        var result = LinearizabilityChecker.Check(history);
        output.WriteLine(result.Report);
        Assert.True(result.IsLinearizable, result.Report);
    }

    private static OpOutput Apply(Dictionary<string, string> store, KvOp op)
    {
        switch (op.Kind)
        {
            case OpKind.Get:
                return OpOutput.Get(store.GetValueOrDefault(op.Key));
            case OpKind.Put:
                store[op.Key] = op.Value!;
                return OpOutput.Put();
            case OpKind.Delete:
                store.Remove(op.Key);
                return OpOutput.Delete();
            default:
                var swapped = store.GetValueOrDefault(op.Key) == op.Expected;
                if (swapped) store[op.Key] = op.Value!;
                return OpOutput.Cas(swapped);
        }
    }

    [Fact]
    public void Timestamps_and_outcomes_come_out_as_recorded()
    {
        long now = 0;
        var rec = new HistoryRecorder(clock: () => now++);
        var put = rec.Invoke(1, KvOp.Put("x", "a"));            // t=0
        var get = rec.Invoke(2, KvOp.Get("x"));                 // t=1
        var del = rec.Invoke(3, KvOp.Delete("x"));              // t=2
        var cas = rec.Invoke(4, KvOp.Cas("x", null, "b"));      // t=3
        var lost = rec.Invoke(5, KvOp.Put("x", "c"));           // t=4, never completed
        rec.Complete(put, OpOutput.Put());                      // t=5
        rec.Complete(get, OpOutput.Get("a"));                   // t=6
        rec.Ambiguous(del);
        rec.Failed(cas);                                        // t=7
        _ = lost;

        var h = rec.History();
        Assert.Equal(5, h.Count);
        Assert.Equal((OpOutcome.Ok, 0L, 5L), (h[0].Outcome, h[0].Invoke, h[0].Return));
        Assert.Equal((OpOutcome.Ok, 1L, 6L, "a"), (h[1].Outcome, h[1].Invoke, h[1].Return, h[1].Output!.Value));
        Assert.Equal((OpOutcome.Ambiguous, 2L, Operation.Infinity), (h[2].Outcome, h[2].Invoke, h[2].Return));
        Assert.Equal((OpOutcome.Failed, 3L, 7L), (h[3].Outcome, h[3].Invoke, h[3].Return));
        Assert.Equal((OpOutcome.Ambiguous, 4L, Operation.Infinity), (h[4].Outcome, h[4].Invoke, h[4].Return));
        Assert.Equal([1, 2, 3, 4, 5], h.Select(o => o.Client));
    }

    [Fact]
    public void Invoke_beyond_the_capacity_throws_and_keeps_what_was_recorded()
    {
        var rec = new HistoryRecorder(capacity: 3);
        for (var i = 0; i < 3; i++) rec.Complete(rec.Invoke(i, KvOp.Put("x", $"v{i}")), OpOutput.Put());
        var ex = Assert.Throws<InvalidOperationException>(() => rec.Invoke(9, KvOp.Get("x")));
        Assert.Contains("full (3 operations)", ex.Message);
        Assert.Throws<InvalidOperationException>(() => rec.Invoke(9, KvOp.Get("x")));
        Assert.Equal(3, rec.Count);
        Assert.Equal(3, rec.History().Count);
        Assert.Equal(HistoryRecorder.DefaultCapacity, new HistoryRecorder().Capacity);
        Assert.Equal(200_000, HistoryRecorder.DefaultCapacity);
    }

    [Fact]
    public void An_operation_completes_once()
    {
        var rec = new HistoryRecorder();
        var h = rec.Invoke(1, KvOp.Put("x", "a"));
        rec.Complete(h, OpOutput.Put());
        Assert.Throws<InvalidOperationException>(() => rec.Complete(h, OpOutput.Put()));
        Assert.Throws<InvalidOperationException>(() => rec.Ambiguous(h));
        Assert.Throws<InvalidOperationException>(() => rec.Failed(h));
        Assert.Throws<ArgumentException>(() => rec.Complete(new OpHandle(5), OpOutput.Put()));
        Assert.Equal(OpOutcome.Ok, rec.History().Single().Outcome);
    }

    [Fact]
    public async Task Racing_completions_of_one_operation_have_exactly_one_winner()
    {
        for (var round = 0; round < 50; round++)
        {
            var rec = new HistoryRecorder();
            var h = rec.Invoke(1, KvOp.Cas("x", null, "a"));
            var wins = 0;
            var go = new Barrier(4);
            var racers = Enumerable.Range(0, 4).Select(i => Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                try
                {
                    if (i % 2 == 0) rec.Complete(h, OpOutput.Cas(i == 0));
                    else rec.Ambiguous(h);
                    Interlocked.Increment(ref wins);
                }
                catch (InvalidOperationException) { }
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(racers);
            Assert.Equal(1, wins);
        }
    }

    [Fact]
    public void An_output_of_the_wrong_kind_is_refused_and_the_operation_stays_open()
    {
        var rec = new HistoryRecorder();
        var h = rec.Invoke(1, KvOp.Get("x"));
        Assert.Throws<ArgumentException>(() => rec.Complete(h, OpOutput.Put()));
        rec.Complete(h, OpOutput.Get(null));
        Assert.Equal(OpOutcome.Ok, rec.History().Single().Outcome);
        Assert.Throws<ArgumentException>(() => Operation.Ok(0, 1, KvOp.Get("x"), 0, 1, OpOutput.Cas(true)));
        Assert.Throws<ArgumentException>(() => Operation.Ok(0, 1, KvOp.Get("x"), 5, 1, OpOutput.Get(null)));
    }
}
