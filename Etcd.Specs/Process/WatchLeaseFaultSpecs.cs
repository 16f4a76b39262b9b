using System.Collections.Concurrent;
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
/// Issue 9's fault spec. Three real Etcd.Node processes; writers and CAS clients on every member, a prefix watcher
/// on every member (resuming from its last resume point whenever its stream breaks), a lease kept alive over a
/// keep-alive stream and one abandoned, while the leader is SIGKILLed and restarted, the next leader is SIGSTOPped
/// and resumed, and the leader after that is cut off from its peers (nftables on loopback, <see cref="LoopbackPartition"/>)
/// and healed. Then every watcher must have received exactly the committed history of the prefix (the checks are in
/// WatchLeaseFaultSpecs.Checks.cs), the kept lease and its key must be there, the abandoned lease's key deleted exactly
/// once, and the KV history linearizable.
/// </summary>
public sealed partial class WatchLeaseFaultSpecs(ITestOutputHelper output)
{
    private const string Prefix = "wl/";
    private const string PrefixEnd = "wl0";
    private const string KeptKey = "wl/lease/kept";
    private const string AbandonedKey = "wl/lease/abandoned";
    private const string EndKey = "wl/end";
    private const int Keys = 12;
    private const int Workers = 6;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly ConcurrentBag<Write> _writes = [];
    private int _acked;

    /// <summary>A write a client sent: its unique value, and the revision it was acknowledged at (null: ambiguous or not done).</summary>
    private sealed record Write(string Key, string Value, long? Revision, bool Failed);

    [Fact]
    public async Task Watchers_on_every_member_see_exactly_the_committed_history_and_leases_behave_through_kill_pause_and_cut()
    {
        var seed = Environment.GetEnvironmentVariable("WATCH_LEASE_FAULT_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay the workload with WATCH_LEASE_FAULT_SEED={seed})");
        var clock = Stopwatch.StartNew();
        using var dir = new TempDir("etcd-watch-lease-faults");
        var cluster = ProcessCluster.Create(dir);
        var partition = LoopbackPartition.TryCreate(cluster, out var why);
        if (partition is null) output.WriteLine($"NOT cutting a member off: {why}");
        var watchers = new List<ResumingWatcher>();
        LeaseKeeper? keeper = null;
        try
        {
            await cluster.StartAsync();
            output.WriteLine($"cluster up after {clock.Elapsed.TotalSeconds:F1} s");
            var leader = await cluster.LeaderAsync();
            using var leaseChannel = Grpc.Net.Client.GrpcChannel.ForAddress(cluster[leader].Endpoint);
            var lease = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(leaseChannel);
            var kept = (await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 10 }, deadline: Deadline())).ID;
            var start = (await cluster.Kv(leader).PutAsync(new PutRequest { Key = B(KeptKey), Value = B("kept"), Lease = kept }, deadline: Deadline())).Header.Revision;
            // The keep-alive stream starts on the leader, the first member to be killed: it must move to another.
            keeper = new LeaseKeeper(cluster.Members.Select(m => m.Endpoint).ToArray(), kept, leader);
            for (var i = 0; i < 3; i++) watchers.Add(new ResumingWatcher(cluster[i].Endpoint, Prefix, PrefixEnd, start));

            var history = new HistoryRecorder(100_000);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(300));
            var clients = Enumerable.Range(0, Workers).Select(w => Task.Run(() => Client(cluster, history, w, seed, stop.Token))).ToArray();
            await AckedAsync(40, "before any fault");

            // An abandoned lease, granted now so that its expiry falls among the faults.
            var abandoned = (await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 5 }, deadline: Deadline())).ID;
            await cluster.Kv(leader).PutAsync(new PutRequest { Key = B(AbandonedKey), Value = B("abandoned"), Lease = abandoned }, deadline: Deadline());
            output.WriteLine($"leases: kept {kept:x} (TTL 10 s), abandoned {abandoned:x} (TTL 5 s); watchers from revision {start}");

            var up = new[] { true, true, true };
            leader = await cluster.LeaderAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: SIGKILL leader infra{leader}");
            up[leader] = false;
            await cluster[leader].KillAsync();
            output.WriteLine($"  infra{await cluster.LeaderAsync(i => up[i])} leads");
            await AckedAsync(30, "while the killed leader is down");
            await cluster[leader].StartAsync();
            up[leader] = true;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: infra{leader} restarted; infra{await cluster.LeaderAsync()} leads");
            await AckedAsync(20, "after the restart");

            var paused = await cluster.LeaderAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: SIGSTOP leader infra{paused}");
            Signals.Send(cluster[paused].Pid, Signals.SIGSTOP);
            up[paused] = false;
            try
            {
                output.WriteLine($"  infra{await cluster.LeaderAsync(i => up[i])} leads");
                await AckedAsync(30, "while the leader is frozen");
            }
            finally
            {
                Signals.Send(cluster[paused].Pid, Signals.SIGCONT);
                up[paused] = true;
            }
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: infra{paused} resumed; infra{await cluster.LeaderAsync()} leads");
            await AckedAsync(20, "after the pause");

            if (partition is not null)
            {
                var cut = await cluster.LeaderAsync();
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: cut leader infra{cut} off from its peers");
                partition.Cut(cut);
                IReadOnlyDictionary<string, long> dropped;
                try
                {
                    output.WriteLine($"  infra{await cluster.LeaderAsync(i => i != cut)} leads the other two");
                    await StepsDownAsync(cluster, cut);
                    // Longer than the others: the cut-off leader must notice it lost its quorum (check-quorum) while
                    // clients on it wait, and the kept lease must be renewed through the new leader meanwhile.
                    await AckedAsync(60, "while a member is cut off");
                }
                finally
                {
                    dropped = partition.Heal();
                }
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: healed ({string.Join(", ", dropped.Select(d => $"{d.Value} {d.Key}"))} packets dropped); " +
                                 $"infra{await cluster.LeaderAsync()} leads");
                // Both directions were really cut: the others' connections into it, and its own to them.
                Assert.True(dropped.GetValueOrDefault("to-member") > 0 && dropped.GetValueOrDefault("from-member") > 0, "the cut dropped nothing one way");
            }
            await AckedAsync(30, "after the faults");
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(Within);

            // The abandoned lease expires (its DELETE reaches every watcher), then one last write marks the end.
            foreach (var w in watchers)
                await w.WaitForAsync((events, _) => events.Any(e => e.Kv.Key.ToStringUtf8() == AbandonedKey && e.Type == Api.Mvccpb.Event.Types.EventType.Delete),
                    Within, "the abandoned lease's DELETE");
            var expiry = watchers[0].Events.First(e => e.Kv.Key.ToStringUtf8() == AbandonedKey && e.Type == Api.Mvccpb.Event.Types.EventType.Delete).Kv.ModRevision;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: the abandoned lease expired at revision {expiry}");
            var end = await RetryAsync(cluster, m => cluster.Kv(m).PutAsync(new PutRequest { Key = B(EndKey), Value = B("end") }, deadline: Deadline()).ResponseAsync);
            var last = end.Header.Revision;
            foreach (var w in watchers) await w.WaitForAsync((_, upTo) => upTo >= last, Within, $"events up to revision {last}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: every watcher has revision {last}; resumes {string.Join(", ", watchers.Select(w => w.Resumes))}; " +
                             $"keeper {keeper.Renewals} renewals, {keeper.Failovers} failovers");

            // Close the KV history with one linearizable read of the whole prefix (at `last`: nothing writes after it).
            var handles = Enumerable.Range(0, Keys).Select(k => history.Invoke(-1, KvOp.Get(Key(k)))).ToArray();
            var final = await RetryAsync(cluster, m => cluster.Kv(m).RangeAsync(new RangeRequest { Key = B(Prefix), RangeEnd = B(PrefixEnd) }, deadline: Deadline()).ResponseAsync);
            for (var k = 0; k < Keys; k++)
                history.Complete(handles[k], OpOutput.Get(final.Kvs.FirstOrDefault(kv => kv.Key.ToStringUtf8() == Key(k))?.Value.ToStringUtf8()));

            foreach (var (error, count) in _errors.OrderByDescending(e => e.Value)) output.WriteLine($"  {count} x {error}");
            CheckWatchers(watchers, start, last, final);
            await CheckLeasesAsync(cluster, keeper, kept, abandoned, final);
            var ops = history.History();
            var result = LinearizabilityChecker.Check(ops);
            output.WriteLine($"{ops.Count} operations ({ops.Count(o => o.Outcome == OpOutcome.Ambiguous)} ambiguous) over {Keys} keys: {result.Verdict} in {result.Steps} steps; " +
                             $"{clock.Elapsed.TotalSeconds:F1} s in all");
            Assert.True(result.IsLinearizable, result.Report);
        }
        finally
        {
            // Each step on its own: the processes must be stopped and the rules and cgroups removed whatever failed.
            await Quietly(async () => { if (keeper is not null) await keeper.DisposeAsync(); });
            foreach (var w in watchers) await Quietly(() => w.DisposeAsync().AsTask());
            await Quietly(() => cluster.DisposeAsync().AsTask());
            partition?.Dispose();
        }
    }

    private async Task Quietly(Func<Task> dispose)
    {
        try
        {
            await dispose();
        }
        catch (Exception e)
        {
            output.WriteLine($"while cleaning up: {e.GetType().Name}: {e.Message}");
        }
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(10);

    private static string Key(int k) => $"wl/lin/{k:D2}";

    /// <summary>Waits (on the clients' own progress, not a clock) until <paramref name="n"/> more writes were acknowledged.</summary>
    private async Task AckedAsync(int n, string when)
    {
        var target = Volatile.Read(ref _acked) + n;
        var deadline = DateTime.UtcNow + Within;
        while (Volatile.Read(ref _acked) < target)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"only {Volatile.Read(ref _acked)} of {target} writes acknowledged {when}: {string.Join("; ", _errors.Select(e => $"{e.Value} x {e.Key}"))}");
            await Task.Delay(50);
        }
    }

    /// <summary>The cut-off leader hears no quorum and stops leading (check-quorum), still answering Status on its client port.</summary>
    private async Task StepsDownAsync(ProcessCluster cluster, int member)
    {
        var deadline = DateTime.UtcNow + Within;
        while (true)
        {
            var status = await cluster.Maintenance(member).StatusAsync(new StatusRequest(), deadline: Deadline());
            if (status.Leader != status.Header.MemberId)
            {
                output.WriteLine($"  the cut-off infra{member} stepped down (it names leader {status.Leader:x}, term {status.RaftTerm})");
                return;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cut-off infra{member} still leads after {Within}");
            await Task.Delay(100);
        }
    }

    /// <summary>A request that must succeed once the cluster is whole again: tried on each member in turn, bounded.</summary>
    private static async Task<T> RetryAsync<T>(ProcessCluster cluster, Func<int, Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call(attempt % cluster.Members.Count);
            }
            catch (RpcException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>One client: random puts, gets and CASes on a small key space under the watched prefix, through one member.</summary>
    private async Task Client(ProcessCluster cluster, HistoryRecorder history, int worker, int seed, CancellationToken stop)
    {
        var rng = new Random(seed * 31 + worker);
        var kv = cluster.Kv(worker % cluster.Members.Count);
        var lastSeen = new string?[Keys];
        for (var n = 0; n < 4000 && !stop.IsCancellationRequested; n++)
        {
            var k = rng.Next(Keys);
            var key = Key(k);
            var value = $"w{worker}-{n}"; // unique, so each watch event names the one write it came from
            var roll = rng.Next(10);
            var op = roll < 4 ? KvOp.Put(key, value) : roll < 6 ? KvOp.Get(key) : KvOp.Cas(key, lastSeen[k], value);
            var h = history.Invoke(worker, op);
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(3);
                switch (op.Kind)
                {
                    case OpKind.Put:
                        var put = await kv.PutAsync(new PutRequest { Key = B(key), Value = B(value) }, deadline: deadline);
                        history.Complete(h, OpOutput.Put());
                        Acked(key, value, put.Header.Revision);
                        lastSeen[k] = value;
                        break;
                    case OpKind.Get:
                        var got = await kv.RangeAsync(new RangeRequest { Key = B(key) }, deadline: deadline);
                        var read = got.Kvs.Count == 0 ? null : got.Kvs[0].Value.ToStringUtf8();
                        history.Complete(h, OpOutput.Get(read));
                        lastSeen[k] = read;
                        break;
                    default:
                        var resp = await kv.TxnAsync(CompareAndSet(key, op.Expected, value), deadline: deadline);
                        history.Complete(h, OpOutput.Cas(resp.Succeeded));
                        if (resp.Succeeded)
                        {
                            Acked(key, value, resp.Header.Revision);
                            lastSeen[k] = value;
                        }
                        else
                        {
                            _writes.Add(new Write(key, value, null, Failed: true));
                        }
                        break;
                }
            }
            catch (RpcException e)
            {
                if (op.Kind == OpKind.Get) history.Failed(h);
                else
                {
                    history.Ambiguous(h);
                    _writes.Add(new Write(key, value, null, Failed: false));
                }
                _errors.AddOrUpdate($"{op.Kind}: {e.StatusCode} {e.Status.Detail}", 1, (_, c) => c + 1);
                // A member that is down refuses at once: back off a little instead of spinning through the budget.
                if (e.StatusCode == StatusCode.Unavailable) await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private void Acked(string key, string value, long revision)
    {
        _writes.Add(new Write(key, value, revision, Failed: false));
        Interlocked.Increment(ref _acked);
    }

    /// <summary>etcd's CAS idiom: compare the value (or that the key does not exist), put on success.</summary>
    private static TxnRequest CompareAndSet(string key, string? expected, string value)
    {
        var k = B(key);
        var compare = expected is null
            ? new Compare { Key = k, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 }
            : new Compare { Key = k, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = B(expected) };
        return new TxnRequest
        {
            Compare = { compare },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = B(value) } } },
        };
    }
}
