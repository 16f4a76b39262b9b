using System.Diagnostics;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Etcd.Specs.Support.Linearizability;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Three real Etcd.Node processes on loopback. Clients put, get and compare-and-set (Txn) through every member
/// while the leader is killed with SIGKILL and restarted, and while the (new) leader is frozen with SIGSTOP
/// and resumed. Every operation is recorded; the whole history, closed by a final read of every key, must be
/// linearizable — which also means no acknowledged write was lost.
/// </summary>
public sealed class ClusterFaultSpecs(ITestOutputHelper output)
{
    private const int Keys = 24;
    private const int Workers = 12;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _errors = new();

    [Fact]
    public async Task A_history_through_a_leader_crash_and_a_leader_pause_is_linearizable()
    {
        var seed = Environment.GetEnvironmentVariable("CLUSTER_FAULT_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay the workload with CLUSTER_FAULT_SEED={seed})");
        using var dir = new TempDir("etcd-cluster-faults");
        await using var cluster = ProcessCluster.Create(dir);
        await cluster.StartAsync();
        var history = new HistoryRecorder(100_000);
        var up = new bool[] { true, true, true };

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var writers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => Client(cluster, history, w, seed, _errors, stop.Token))).ToArray();

        await Task.Delay(2000); // load before any fault; the workers are bounded by count and by `stop`
        var leader = await cluster.LeaderAsync();
        output.WriteLine($"SIGKILL leader infra{leader}");
        var killedAt = Stopwatch.GetTimestamp();
        up[leader] = false;
        await cluster[leader].KillAsync();
        var next = await cluster.LeaderAsync(i => up[i]);
        output.WriteLine($"infra{next} leads {Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds:F0} ms after the kill");
        await Task.Delay(1000);
        await cluster[leader].StartAsync();
        up[leader] = true;
        output.WriteLine($"infra{leader} restarted");
        await Task.Delay(1000);

        var paused = await cluster.LeaderAsync();
        output.WriteLine($"SIGSTOP leader infra{paused}");
        Signals.Send(cluster[paused].Pid, Signals.SIGSTOP);
        up[paused] = false;
        var during = await cluster.LeaderAsync(i => up[i]);
        output.WriteLine($"infra{during} leads while infra{paused} is frozen");
        await Task.Delay(1500);
        Signals.Send(cluster[paused].Pid, Signals.SIGCONT);
        up[paused] = true;
        output.WriteLine($"infra{paused} resumed");
        await cluster.LeaderAsync();
        await Task.Delay(1000);

        stop.Cancel();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        // Close the history with a linearizable read of every key through one member.
        for (var k = 0; k < Keys; k++)
        {
            var h = history.Invoke(-1, KvOp.Get(Key(k)));
            var got = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Key(k)) }, deadline: DateTime.UtcNow.AddSeconds(10));
            history.Complete(h, OpOutput.Get(got.Kvs.Count == 0 ? null : got.Kvs[0].Value.ToStringUtf8()));
        }

        var ops = history.History();
        var result = LinearizabilityChecker.Check(ops);
        output.WriteLine($"{ops.Count} operations ({ops.Count(o => o.Outcome == OpOutcome.Ambiguous)} ambiguous, " +
                         $"{ops.Count(o => o.Outcome == OpOutcome.Failed)} failed) over {Keys} keys: {result.Verdict} in {result.Steps} steps");
        foreach (var (error, count) in _errors.OrderByDescending(e => e.Value)) output.WriteLine($"  {count} x {error}");
        Assert.True(ops.Count(o => o.Outcome == OpOutcome.Ok && o.Op.Kind != OpKind.Get) > 500, "too few acknowledged writes to mean anything");
        Assert.True(result.IsLinearizable, result.Report);
    }

    private static string Key(int k) => $"lin/{k:D2}";

    /// <summary>One client: random puts, gets and CASes on a small key space, through one member, each with a deadline.</summary>
    private static async Task Client(ProcessCluster cluster, HistoryRecorder history, int worker, int seed,
        System.Collections.Concurrent.ConcurrentDictionary<string, int> errors, CancellationToken stop)
    {
        var rng = new Random(seed * 31 + worker);
        var member = worker % cluster.Members.Count;
        var kv = cluster.Kv(member);
        var lastSeen = new string?[Keys];
        for (var n = 0; n < 5000 && !stop.IsCancellationRequested; n++)
        {
            var k = rng.Next(Keys);
            var key = Key(k);
            // Values are unique, so the checker's value rules see every violation at once.
            var value = $"w{worker}-{n}";
            var roll = rng.Next(10);
            var op = roll < 4 ? KvOp.Put(key, value) : roll < 7 ? KvOp.Get(key) : KvOp.Cas(key, lastSeen[k], value);
            var h = history.Invoke(worker, op);
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(3);
                switch (op.Kind)
                {
                    case OpKind.Put:
                        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, deadline: deadline);
                        history.Complete(h, OpOutput.Put());
                        lastSeen[k] = value;
                        break;
                    case OpKind.Get:
                        var got = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: deadline);
                        var read = got.Kvs.Count == 0 ? null : got.Kvs[0].Value.ToStringUtf8();
                        history.Complete(h, OpOutput.Get(read));
                        lastSeen[k] = read;
                        break;
                    default:
                        var txn = CompareAndSet(key, op.Expected, value);
                        var resp = await kv.TxnAsync(txn, deadline: deadline);
                        history.Complete(h, OpOutput.Cas(resp.Succeeded));
                        if (resp.Succeeded) lastSeen[k] = value;
                        break;
                }
            }
            catch (RpcException e)
            {
                // A read that failed changed nothing; a write that timed out or lost its leader may have been applied.
                if (op.Kind == OpKind.Get) history.Failed(h);
                else history.Ambiguous(h);
                errors.AddOrUpdate($"{op.Kind}: {e.StatusCode} {e.Status.Detail}", 1, (_, c) => c + 1);
                // A member that is down refuses at once: back off a little instead of spinning through the budget.
                if (e.StatusCode == StatusCode.Unavailable) await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    /// <summary>etcd's CAS idiom: compare the value (or that the key does not exist), put on success.</summary>
    private static TxnRequest CompareAndSet(string key, string? expected, string value)
    {
        var k = ByteString.CopyFromUtf8(key);
        var compare = expected is null
            ? new Compare { Key = k, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 }
            : new Compare { Key = k, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(expected) };
        return new TxnRequest
        {
            Compare = { compare },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = ByteString.CopyFromUtf8(value) } } },
        };
    }
}
