using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// etcdctl's lease commands against the real etcd 3.4 and against Etcd.Node, one member each, must print the same:
/// grant (with the minimum TTL and the too-large error), put --lease, timetolive (--keys, an unknown lease),
/// keep-alive --once, list, revoke, and the keys gone afterwards. Lease ids differ between the two (each generates
/// its own), so each id is named by the step that granted it; remaining TTLs are masked (they depend on timing);
/// etcd lists attached keys and leases in its map's order, so those lists are compared sorted.
/// </summary>
public sealed class LeaseConformanceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private SideBySide _nodes = null!;

    public async Task InitializeAsync() => _nodes = await SideBySide.StartAsync("lease-conformance");

    public async Task DisposeAsync()
    {
        if (_nodes is not null) await _nodes.DisposeAsync();
    }

    // "{A}" in arguments is the id the first grant returned on that system, "{B}" the second's.
    private static readonly string[][] Session =
    [
        ["lease", "grant", "100"],
        ["lease", "grant", "60"],
        ["lease", "grant", "9000000001"],
        ["put", "--lease={A}", "k1", "v1"],
        ["put", "--lease={A}", "k2", "v2"],
        ["put", "--lease={B}", "k3", "v3"],
        ["put", "--lease=1234", "k4", "v4"],
        ["get", "k", "--prefix", "-w", "json"],
        ["lease", "timetolive", "{A}"],
        ["lease", "timetolive", "--keys", "{A}"],
        ["lease", "timetolive", "--keys", "{A}", "-w", "json"],
        ["lease", "timetolive", "1234"],
        ["lease", "list"],
        ["lease", "keep-alive", "--once", "{A}"],
        ["lease", "keep-alive", "--once", "1234"],
        ["lease", "revoke", "1234"],
        ["lease", "revoke", "0"],
        ["put", "k3", "v3-no-lease"],
        ["lease", "revoke", "{A}"],
        ["get", "k", "--prefix", "-w", "json"],
        ["lease", "timetolive", "--keys", "{A}", "-w", "json"],
        ["lease", "revoke", "{B}"],
        ["get", "k", "--prefix"],
        ["lease", "list"],
        // Last, so that its expiry cannot race the steps above: a TTL below the minimum gets the minimum (2 s here).
        ["lease", "grant", "0"],
        ["lease", "grant", "1"],
    ];

    [Fact]
    public async Task Etcdctl_lease_session_prints_what_etcd_prints()
    {
        var ids = new Dictionary<NodeProcess, List<string>> { [_nodes.Etcd] = [], [_nodes.Ours] = [] };
        foreach (var step in Session)
        {
            var expected = await RunAsync(_nodes.Etcd, step, ids[_nodes.Etcd]);
            var actual = await RunAsync(_nodes.Ours, step, ids[_nodes.Ours]);
            var text = "etcdctl " + string.Join(' ', step);
            output.WriteLine($"{text}\n  etcd: {expected}\n  ours: {actual}");
            Assert.True(expected == actual, $"{text}\nexpected (etcd 3.4): {expected}\nactual (Etcd.Node): {actual}");
        }
    }

    /// <summary>Runs one step with this system's ids substituted; the output normalised (see the class comment).</summary>
    private static async Task<string> RunAsync(NodeProcess node, string[] step, List<string> ids)
    {
        var args = step.Select(a => a.Replace("{A}", ids.ElementAtOrDefault(0) ?? "?").Replace("{B}", ids.ElementAtOrDefault(1) ?? "?")).ToArray();
        var r = await Etcdctl.RunAsync(node.Endpoint, args);
        var stdout = r.Stdout;
        var granted = Regex.Match(stdout, "^lease ([0-9a-f]{16}) granted with TTL");
        if (granted.Success && args is ["lease", "grant", ..]) ids.Add(granted.Groups[1].Value);
        for (var i = 0; i < ids.Count; i++)
        {
            var name = "ID" + (char)('A' + i);
            stdout = stdout.Replace(ids[i], name, StringComparison.Ordinal)
                .Replace(Convert.ToInt64(ids[i], 16).ToString(System.Globalization.CultureInfo.InvariantCulture), name, StringComparison.Ordinal);
        }
        stdout = Regex.Replace(stdout, "\"(cluster_id|member_id|raft_term)\":[0-9]+", "\"$1\":_");
        stdout = Regex.Replace(stdout, @"remaining\(\d+s\)", "remaining(_s)");
        stdout = Regex.Replace(stdout, "\"ttl\":[1-9][0-9]*", "\"ttl\":_");
        stdout = Regex.Replace(stdout, @"attached keys\(\[([^\]]*)\]\)", m => $"attached keys([{string.Join(' ', m.Groups[1].Value.Split(' ').Order(StringComparer.Ordinal))}])");
        stdout = Regex.Replace(stdout, "[0-9a-f]{16}", "OTHER");
        if (args is ["lease", "list"])
            stdout = string.Join('\n', stdout.Split('\n').Select((l, i) => (l, i)).OrderBy(x => x.i == 0 ? "" : x.l, StringComparer.Ordinal).Select(x => x.l));
        // etcd 3.4 lists a lease's keys from a Go map, in no fixed order: compare them sorted.
        stdout = Regex.Replace(stdout, "\"keys\":\\[([^\\]]*)\\]",
            m => $"\"keys\":[{string.Join(',', m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))}]");
        var errors = string.Join('\n', r.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        return $"exit={r.ExitCode} out=[{stdout.TrimEnd()}] err=[{errors}]";
    }

    /// <summary>
    /// The interactive keep-alive stream: etcdctl renews every TTL/3 and prints each answer; with the lease revoked
    /// meanwhile it prints etcd's "expired or revoked" and exits 0. No fixed wait: the spec reads etcdctl's lines.
    /// </summary>
    [Fact]
    public async Task Etcdctl_keep_alive_renews_until_the_lease_is_revoked()
    {
        var node = _nodes.Ours;
        var grant = (await Etcdctl.RunAsync(node.Endpoint, "lease", "grant", "3")).EnsureSuccess().Stdout;
        var id = Regex.Match(grant, "lease ([0-9a-f]{16})").Groups[1].Value;
        var psi = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + node.Endpoint);
        psi.ArgumentList.Add("lease");
        psi.ArgumentList.Add("keep-alive");
        psi.ArgumentList.Add(id);
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var lines = new List<string>();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // Three renewals of a 3 s lease take ~3 s: the lease outlives its TTL only because of them.
            while (lines.Count(l => l.Contains("keepalived", StringComparison.Ordinal)) < 3)
                lines.Add(await p.StandardOutput.ReadLineAsync(bound.Token) ?? throw new InvalidOperationException("etcdctl exited: " + string.Join('\n', lines)));
            Assert.All(lines, l => Assert.Equal($"lease {id} keepalived with TTL(3)", l));
            (await Etcdctl.RunAsync(node.Endpoint, "lease", "revoke", id)).EnsureSuccess();
            var last = "";
            while (await p.StandardOutput.ReadLineAsync(bound.Token) is { } line) last = line;
            await p.WaitForExitAsync(bound.Token);
            Assert.Equal($"lease {id} expired or revoked.", last);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    /// <summary>An abandoned lease expires on its own (one member: the leader), its keys deleted in one revision.</summary>
    [Fact]
    public async Task An_abandoned_lease_expires_and_its_keys_go_in_one_revision()
    {
        var node = _nodes.Ours;
        var grant = (await Etcdctl.RunAsync(node.Endpoint, "lease", "grant", "2")).EnsureSuccess().Stdout;
        var id = Regex.Match(grant, "lease ([0-9a-f]{16})").Groups[1].Value;
        (await Etcdctl.RunAsync(node.Endpoint, "put", "--lease=" + id, "x1", "v")).EnsureSuccess();
        (await Etcdctl.RunAsync(node.Endpoint, "put", "--lease=" + id, "x2", "v")).EnsureSuccess();
        var before = Revision((await Etcdctl.RunAsync(node.Endpoint, "get", "x1", "-w", "json")).Stdout);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string keys;
        do
        {
            keys = (await Etcdctl.RunAsync(node.Endpoint, "get", "x", "--prefix", "--keys-only")).EnsureSuccess().Stdout.Trim();
            if (keys.Length > 0) await Task.Delay(200); // polling the node's own answer, bounded by the deadline
        } while (keys.Length > 0 && DateTime.UtcNow < deadline);
        Assert.Equal("", keys);
        var after = Revision((await Etcdctl.RunAsync(node.Endpoint, "get", "x1", "-w", "json")).Stdout);
        Assert.Equal(before + 1, after);
        Assert.Contains("already expired", (await Etcdctl.RunAsync(node.Endpoint, "lease", "timetolive", id)).Stdout, StringComparison.Ordinal);
    }

    private static long Revision(string json) => long.Parse(Regex.Match(json, "\"revision\":([0-9]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
}
