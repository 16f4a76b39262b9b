using System.Diagnostics;
using System.Globalization;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Issue 8, "no member stays leaderless while the network is fine": three members started together on a box
/// whose cores are saturated by other busy processes. Seen once: the leader's first association to one member
/// timed out, and that member then heard nothing from the leader for good, a pre-candidate at term 2 without
/// another log line (see PeerLinkSpecs for the mechanism). Here three real Etcd.Node processes are started
/// together, again and again, while CPU burner processes (started and stopped by this spec, by PID) keep every
/// core busy; every member must know the leader within <see cref="KnowLeaderWithin"/> of both its own Raft
/// running and a leader existing. Start-up itself may be very slow on a starved box and is not what is measured:
/// the spec reads each member's own log (one machine, one clock): "raft X bootstrapped" (its Raft runs), and its
/// first "raft X is R at term T, leader L" with a leader.
///
/// Bounded: STARVATION_STARTS starts (default 5) within STARVATION_BUDGET_S seconds (default 90; no new start
/// begins after it, so a box where one start takes a minute runs two), STARVATION_BURNERS burners (default 2 per
/// core); STARVATION_SEED replays the staggering. Set STARVATION_STARTS=30 STARVATION_BUDGET_S=1800 for a long run.
/// </summary>
public sealed class StarvedStartSpecs(ITestOutputHelper output)
{
    /// <summary>Ten election timeouts (default 1 s): the stuck member of the report waited 50 s and more.</summary>
    private static readonly TimeSpan KnowLeaderWithin = TimeSpan.FromSeconds(10);

    /// <summary>How long one member may take to serve at all on a starved box (measured up to ~50 s with load ~50).</summary>
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(150);

    private const string NoLeader = "leader 0000000000000000";

    [Fact]
    public async Task Every_member_started_under_cpu_starvation_knows_the_leader()
    {
        var starts = Env("STARVATION_STARTS", 5);
        var budget = TimeSpan.FromSeconds(Env("STARVATION_BUDGET_S", 90));
        var burnerCount = Env("STARVATION_BURNERS", 2 * Environment.ProcessorCount);
        var seed = Env("STARVATION_SEED", Environment.TickCount & 0x7fffffff);
        output.WriteLine($"seed {seed} (replay with STARVATION_SEED={seed}); {starts} starts within {budget.TotalSeconds:F0} s; {burnerCount} CPU burners on {Environment.ProcessorCount} cores");
        var random = new Random(seed);

        var burners = StartBurners(burnerCount);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var done = 0;
        try
        {
            for (var n = 1; n <= starts && (n == 1 || clock.Elapsed < budget); n++)
            {
                using var dir = new TempDir("etcd-starved-start");
                await using var cluster = ProcessCluster.Create(dir);
                var launched = DateTime.Now;
                // Started together, as in the report, each a few random milliseconds apart (seeded).
                var started = new List<Task>();
                foreach (var member in cluster.Members)
                {
                    started.Add(member.StartAsync(StartWithin));
                    await Task.Delay(random.Next(0, 200));
                }
                try
                {
                    await Task.WhenAll(started);
                }
                catch (TimeoutException)
                {
                    // Judged below from the logs: a member that never knew the leader is the failure looked for.
                }

                var members = cluster.Members.Select(m => (m.Name, Log: MemberLog.Parse(m.Output))).ToArray();
                var leaderSince = members.Select(m => m.Log.KnowsLeaderAt).Where(t => t is not null).Min()
                                  ?? throw new Xunit.Sdk.XunitException($"start {n}: no member ever knew a leader (seed {seed}):\n{Dump(cluster)}");
                var line = new List<string>();
                foreach (var (name, log) in members)
                {
                    var from = log.RaftRunningAt is { } running && running > leaderSince ? running : leaderSince;
                    if (log.KnowsLeaderAt is not { } knows)
                    {
                        Assert.Fail($"start {n}: {name} never knew the leader (a leader since {leaderSince:HH:mm:ss.fff}, its Raft running since " +
                                    $"{log.RaftRunningAt:HH:mm:ss.fff}; seed {seed}):\n{Dump(cluster)}");
                        return;
                    }
                    var latency = knows - from;
                    latencies.Add(latency.TotalMilliseconds);
                    line.Add($"{name} {latency.TotalMilliseconds:F0} ms");
                    Assert.True(latency <= KnowLeaderWithin,
                        $"start {n}: {name} knew the leader only {latency.TotalSeconds:F1} s after it could have (seed {seed}):\n{Dump(cluster)}");
                }
                var leader = await cluster.LeaderAsync(within: TimeSpan.FromSeconds(30));
                done++;
                output.WriteLine($"start {n}: infra{leader} leads, first ready {(members.Min(m => m.Log.KnowsLeaderAt)!.Value - launched).TotalSeconds:F1} s after launch; " +
                                 $"knew the leader after {string.Join(", ", line)}; at {clock.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            StopBurners(burners);
        }
        output.WriteLine($"{done} starts of {starts} in {clock.Elapsed.TotalSeconds:F1} s; knew the leader after at most {latencies.Max():F0} ms " +
                         $"(median {latencies.Order().ElementAt(latencies.Count / 2):F0} ms)");
    }

    /// <summary>What one member's log says about when its Raft ran and when it first knew a leader (local time, as logged).</summary>
    private sealed record MemberLog(DateTime? RaftRunningAt, DateTime? KnowsLeaderAt)
    {
        public static MemberLog Parse(string output)
        {
            DateTime? running = null, knows = null;
            foreach (var line in output.Split('\n'))
            {
                if (line.Length < 26 || !DateTime.TryParseExact(line[..26], "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)) continue;
                if (running is null && line.Contains("raft: raft ", StringComparison.Ordinal) && line.Contains(" bootstrapped: ", StringComparison.Ordinal)) running = at;
                if (knows is null && line.Contains(" at term ", StringComparison.Ordinal) && line.Contains(", leader ", StringComparison.Ordinal) && !line.Contains(NoLeader, StringComparison.Ordinal)) knows = at;
            }
            return new MemberLog(running, knows);
        }
    }

    private static string Dump(ProcessCluster cluster) =>
        string.Join('\n', cluster.Members.Select(m => $"--- {m.Name} ---\n{string.Join('\n', m.Output.Split('\n').TakeLast(25))}"));

    /// <summary>Busy-loop processes at normal priority, so the members compete for every core.</summary>
    private static List<System.Diagnostics.Process> StartBurners(int count)
    {
        var burners = new List<System.Diagnostics.Process>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var psi = new ProcessStartInfo("sh") { UseShellExecute = false };
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add("while :; do :; done");
                burners.Add(System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start a CPU burner"));
            }
        }
        catch
        {
            StopBurners(burners);
            throw;
        }
        return burners;
    }

    private static void StopBurners(List<System.Diagnostics.Process> burners)
    {
        foreach (var b in burners)
        {
            try
            {
                if (!b.HasExited) Signals.Send(b.Id, Signals.SIGKILL);
                b.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            b.Dispose();
        }
    }

    private static int Env(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
