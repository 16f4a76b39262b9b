using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Leases on three Etcd.Node processes with the real etcdctl, everything through a follower: grant, put --lease,
/// keep-alive --once and timetolive --keys (forwarded to the leader), an interactive keep-alive that goes on
/// across a SIGKILL of the leader while an abandoned lease expires, and the killed member, restarted, agrees.
/// </summary>
public sealed class LeaseProcessClusterSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new("lease-process-cluster");
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ProcessCluster.Create(_dir);
        await _cluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_kept_alive_lease_outlives_the_leaders_sigkill_and_an_abandoned_one_expires()
    {
        var leader = await _cluster.LeaderAsync();
        var follower = Enumerable.Range(0, 3).First(i => i != leader);
        var other = Enumerable.Range(0, 3).First(i => i != leader && i != follower);
        var at = _cluster[follower].Endpoint;

        // The kept lease is renewed, then kept alive, as few etcdctl runs after its grant as the checks allow: each run
        // starts a process, and on a loaded 2-core box a few of them between the grant and the first renewal could
        // outlast the 6 s TTL. The abandoned one is granted after the keeper started, so it also expires later.
        var kept = await GrantAsync(at, 6);
        (await Etcdctl.RunAsync(at, "put", "--lease=" + kept, "kept", "1")).EnsureSuccess();
        Assert.Equal($"lease {kept} keepalived with TTL(6)", (await Etcdctl.RunAsync(at, "lease", "keep-alive", "--once", kept)).EnsureSuccess().Stdout.Trim());
        var ttl = (await Etcdctl.RunAsync(_cluster[other].Endpoint, "lease", "timetolive", "--keys", kept)).EnsureSuccess().Stdout;
        Assert.Matches($@"^lease {kept} granted with TTL\(6s\), remaining\([1-6]s\), attached keys\(\[kept\]\)", ttl);

        var lines = new ConcurrentQueue<string>();
        using var keeper = StartKeepAlive(at, kept, lines);
        try
        {
            var abandoned = await GrantAsync(at, 6);
            (await Etcdctl.RunAsync(at, "put", "--lease=" + abandoned, "abandoned", "1")).EnsureSuccess();
            await WaitForAsync(() => lines.Count >= 1, "etcdctl keep-alive printed nothing");
            await _cluster[leader].KillAsync();
            var next = await _cluster.LeaderAsync(i => i != leader);
            output.WriteLine($"leader {leader} killed; {next} leads");
            var printedAtKill = lines.Count;

            await WaitForAsync(async () => (await Etcdctl.RunAsync(at, "get", "abandoned", "--keys-only")).Stdout.Trim().Length == 0,
                "the abandoned lease's key is still there", TimeSpan.FromSeconds(60));
            // The kept lease was renewed through the follower after the kill and still holds its key.
            await WaitForAsync(() => lines.Count >= printedAtKill + 2, "no keep-alive answered after the leader was killed");
            Assert.All(lines, l => Assert.Equal($"lease {kept} keepalived with TTL(6)", l));
            Assert.Equal("kept", (await Etcdctl.RunAsync(at, "get", "kept", "--keys-only")).EnsureSuccess().Stdout.Trim());
            Assert.Contains("already expired", (await Etcdctl.RunAsync(at, "lease", "timetolive", abandoned)).Stdout, StringComparison.Ordinal);

            // The killed member comes back and agrees: the kept lease and its key, not the abandoned one.
            await _cluster[leader].StartAsync();
            await WaitForAsync(async () => (await Etcdctl.RunAsync(_cluster[leader].Endpoint, "get", "", "--from-key", "--keys-only", "--consistency=s")).Stdout.Trim() == "kept",
                "the restarted member does not have exactly the kept key");
            var list = (await Etcdctl.RunAsync(_cluster[leader].Endpoint, "lease", "list")).EnsureSuccess().Stdout;
            Assert.Equal($"found 1 leases\n{kept}", list.Trim());
        }
        finally
        {
            if (!keeper.HasExited) keeper.Kill(entireProcessTree: true);
        }
    }

    private static async Task<string> GrantAsync(string endpoint, int ttl)
    {
        var r = (await Etcdctl.RunAsync(endpoint, "lease", "grant", ttl.ToString(System.Globalization.CultureInfo.InvariantCulture))).EnsureSuccess();
        return Regex.Match(r.Stdout, "^lease ([0-9a-f]{16}) granted").Groups[1].Value;
    }

    /// <summary>`etcdctl lease keep-alive`, its stdout lines collected as they come; killed by the spec (by its PID).</summary>
    private static System.Diagnostics.Process StartKeepAlive(string endpoint, string id, ConcurrentQueue<string> lines)
    {
        var psi = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("lease");
        psi.ArgumentList.Add("keep-alive");
        psi.ArgumentList.Add(id);
        var p = System.Diagnostics.Process.Start(psi)!;
        p.OutputDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data)) lines.Enqueue(e.Data);
        };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Polls what the processes themselves say (no event crosses the process boundary), bounded.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, string failure, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure);
            await Task.Delay(100);
        }
    }

    private static Task WaitForAsync(Func<bool> condition, string failure, TimeSpan? within = null) =>
        WaitForAsync(() => Task.FromResult(condition()), failure, within);
}
