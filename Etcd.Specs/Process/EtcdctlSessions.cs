using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// etcdctl sessions of watch, lease and compaction commands, each run once on etcd 3.4 and once on Etcd.Node (one
/// member, or three through <see cref="ClientRoles"/>: watches and keep-alives on a follower, writes on the leader
/// and on the third member, answers checked on the third). Each returns what etcdctl printed, normalised where two
/// systems may differ without a bug: lease ids (named by the step that granted them), revisions (relative to the
/// session's start, so a session can run on a cluster other specs wrote to), remaining TTLs, member and cluster ids.
/// </summary>
internal static class EtcdctlSessions
{
    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Asserts two sessions' outputs are the same, step by step, naming the first that differs.</summary>
    public static void AssertSame(IReadOnlyList<(string Step, string Output)> expected, IReadOnlyList<(string Step, string Output)> actual, ITestOutputHelper output)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var (step, e) = i < expected.Count ? expected[i] : ("(missing)", "");
            var a = i < actual.Count ? actual[i].Output : "(missing)";
            output.WriteLine($"{step}\n  etcd: {e}\n  ours: {a}");
            Assert.True(e == a, $"{step}\nexpected (etcd 3.4): {e}\nactual (Etcd.Node): {a}");
        }
    }

    /// <summary>
    /// `watch KEY` (no revision: started, then put to until it prints), `watch --prefix --prev-kv --rev`, `watch --rev`
    /// from the put that synchronised the first, interactive `watch -i`s (refused lines, then a range from a revision;
    /// a prefix with previous values), writes through every member (put, delete, a txn of two puts), then `compaction` (done, again,
    /// future, `--physical`) and what a read and a watch below it get.
    /// </summary>
    public static async Task<List<(string, string)>> WatchAsync(ClientRoles at)
    {
        var steps = new List<(string, string)>();
        async Task Ctl(string ep, string? stdin, params string[] args) => (await Etcdctl.RunWithStdinAsync(ep, stdin, args)).EnsureSuccess();

        await using var plain = EtcdctlWatch.Start(at.Follower, false, "w/foo");
        // etcdctl prints nothing when its watcher is created: put until it prints one, and keep what follows.
        for (var i = 0; !plain.Stdout.Contains("go"); i++)
        {
            if (i == 30) throw new TimeoutException("etcdctl watch w/foo never printed a put: " + string.Join('\n', plain.Stderr));
            await Ctl(at.Leader, null, "put", "w/foo", "go");
            try { await plain.WaitForAsync("go", within: TimeSpan.FromSeconds(1)); }
            catch (TimeoutException) { /* not watching yet: put again */ }
        }
        var r = RevisionOf((await Etcdctl.RunAsync(at.Leader, "get", "w/foo", "-w", "json")).EnsureSuccess().Stdout);

        await using var prefix = EtcdctlWatch.Start(at.Follower, false, "--prefix", "w/", "--prev-kv", "--rev", S(r + 1));
        await using var fromRev = EtcdctlWatch.Start(at.Other, false, "w/foo", "--rev", S(r));
        await using var interactive = EtcdctlWatch.Start(at.Follower, true);
        await interactive.SendLineAsync("put w/x y");
        await interactive.SendLineAsync("watch");
        await interactive.SendLineAsync($"watch w/e w/g --rev {r + 1}");
        await using var interactivePrefix = EtcdctlWatch.Start(at.Other, true);
        await interactivePrefix.SendLineAsync($"watch --prefix w/f --prev-kv --rev {r + 1}");

        await Ctl(at.Leader, null, "put", "w/foo", "c");
        await Ctl(at.Other, null, "del", "w/foo");
        await Ctl(at.Leader, null, "put", "w/fa", "x");
        // etcdctl txn reads compares, success ops and failure ops, each list ended by an empty line.
        await Ctl(at.Other, "\nput w/foo t1\nput w/fb t2\n\n\n", "txn");
        await Ctl(at.Follower, null, "put", "w/e", "e");
        await Ctl(at.Leader, null, "put", "w/foo", "end");
        foreach (var w in new[] { plain, prefix, fromRev, interactive, interactivePrefix }) await w.WaitForAsync("end");
        Assert.Contains("t2", prefix.Stdout); // the txn wrote (a session that wrote nothing would match etcd's too)

        steps.Add(($"{at.NameOf(at.Follower)}watch w/foo", Lines(AfterLastGo(plain.Stdout))));
        steps.Add(($"{at.NameOf(at.Follower)}watch --prefix w/ --prev-kv --rev R+1", Lines(prefix.Stdout)));
        steps.Add(($"{at.NameOf(at.Other)}watch w/foo --rev R", Lines(fromRev.Stdout)));
        steps.Add(($"{at.NameOf(at.Follower)}watch -i", Lines([.. interactive.Stdout, .. interactive.Stderr.Where(l => l.StartsWith("Invalid command", StringComparison.Ordinal))])));
        steps.Add(($"{at.NameOf(at.Other)}watch -i, watch --prefix w/f --prev-kv --rev R+1", Lines(interactivePrefix.Stdout)));

        foreach (var (ep, args) in new (string, string[])[]
        {
            (at.Follower, ["compaction", S(r + 2)]),
            (at.Other, ["compaction", S(r + 2)]),
            (at.Leader, ["compaction", S(r + 1000)]),
            (at.Other, ["get", "w/foo", "--rev", S(r + 1)]),
            (at.Follower, ["get", "w/foo", "--rev", S(r + 2)]),
            (at.Follower, ["compaction", "--physical", S(r + 3)]),
            (at.Other, ["watch", "w/foo", "--rev", S(r + 1)]),
            (at.Other, ["get", "w/", "--prefix"]),
        })
        {
            var result = await Etcdctl.RunAsync(ep, args);
            steps.Add(($"{at.NameOf(ep)}etcdctl {string.Join(' ', args.Select(a => Relative(a, r)))}", Normalise(result, r, [])));
        }
        return steps;
    }

    /// <summary>
    /// grant, put --lease (through every member), timetolive (--keys, -w json, unknown), list, keep-alive --once (known,
    /// unknown), revoke (unknown, 0, then both: the keys go), the too-large TTL. "{A}"/"{B}" are the ids the first and
    /// second grants returned on that system.
    /// </summary>
    public static async Task<List<(string, string)>> LeaseAsync(ClientRoles at)
    {
        var session = new (string Ep, string[] Args)[]
        {
            (at.Follower, ["lease", "grant", "100"]),
            (at.Other, ["lease", "grant", "60"]),
            (at.Leader, ["put", "--lease={A}", "l/k1", "v1"]),
            (at.Follower, ["put", "--lease={A}", "l/k2", "v2"]),
            (at.Other, ["put", "--lease={B}", "l/k3", "v3"]),
            (at.Follower, ["put", "--lease=1234", "l/k4", "v4"]),
            (at.Other, ["get", "l/", "--prefix"]),
            (at.Other, ["lease", "timetolive", "{A}"]),
            (at.Other, ["lease", "timetolive", "--keys", "{A}"]),
            (at.Follower, ["lease", "timetolive", "--keys", "{A}", "-w", "json"]),
            (at.Other, ["lease", "timetolive", "1234"]),
            (at.Follower, ["lease", "list"]),
            (at.Other, ["lease", "keep-alive", "--once", "{A}"]),
            (at.Follower, ["lease", "keep-alive", "--once", "1234"]),
            (at.Follower, ["lease", "revoke", "1234"]),
            (at.Other, ["lease", "revoke", "0"]),
            (at.Other, ["put", "l/k3", "v3-no-lease"]),
            (at.Follower, ["lease", "revoke", "{A}"]),
            (at.Other, ["get", "l/", "--prefix"]),
            (at.Leader, ["lease", "timetolive", "--keys", "{A}"]),
            (at.Other, ["lease", "revoke", "{B}"]),
            (at.Follower, ["get", "l/", "--prefix"]),
            (at.Other, ["lease", "list"]),
            (at.Follower, ["lease", "grant", "9000000001"]),
        };
        var ids = new List<string>();
        var steps = new List<(string, string)>();
        foreach (var (ep, step) in session)
        {
            var args = step.Select(a => a.Replace("{A}", ids.ElementAtOrDefault(0) ?? "?").Replace("{B}", ids.ElementAtOrDefault(1) ?? "?")).ToArray();
            var result = await Etcdctl.RunAsync(ep, args);
            var granted = Regex.Match(result.Stdout, "^lease ([0-9a-f]{16}) granted with TTL");
            if (granted.Success && args is ["lease", "grant", ..]) ids.Add(granted.Groups[1].Value);
            steps.Add(($"{at.NameOf(ep)}etcdctl {string.Join(' ', step)}", Normalise(result, 0, ids)));
        }
        return steps;
    }

    /// <summary>
    /// `lease keep-alive` through the follower: it prints a renewal every TTL/3; read until more than TTL + 2 s have
    /// passed since the grant; the lease and its key are still there (asked on the third member), which they would not
    /// be without the renewals; revoked on the leader, etcdctl says so and exits by itself. A second keep-alive is
    /// stopped by its PID after two renewals (that lease is then revoked), and one of an unknown lease.
    /// </summary>
    public static async Task<List<(string, string)>> KeepAliveAsync(ClientRoles at)
    {
        // Long enough that a starved box still starts etcdctl's keep-alive before the lease expires; etcdctl renews
        // every TTL/3, so a few renewals come before TTL + 2 s.
        const int ttl = 5;
        var steps = new List<(string, string)>();
        var ids = new List<string>();
        async Task Step(string ep, string[] args, string note = "") =>
            steps.Add(($"{at.NameOf(ep)}etcdctl {string.Join(' ', args.Select(a => Ids(a, ids)))}{note}", Normalise(await Etcdctl.RunAsync(ep, args), 0, ids)));

        var sinceGrant = Stopwatch.StartNew();
        var kept = await GrantAsync(at.Follower, ttl, ids);
        (await Etcdctl.RunAsync(at.Leader, "put", "--lease=" + kept, "ka/kept", "v")).EnsureSuccess();
        await using (var keeper = EtcdctlWatch.StartCommand(at.Follower, false, "lease", "keep-alive", kept))
        {
            for (var n = 3; ; n++)
            {
                await keeper.WaitForLinesAsync(n, TimeSpan.FromSeconds(20));
                if (sinceGrant.Elapsed > TimeSpan.FromSeconds(ttl + 2)) break;
            }
            await Step(at.Other, ["lease", "timetolive", "--keys", kept], " while kept alive");
            await Step(at.Other, ["get", "ka/", "--prefix"], " while kept alive");
            await Step(at.Leader, ["lease", "revoke", kept]);
            var exit = await keeper.WaitForExitAsync(TimeSpan.FromSeconds(30));
            steps.Add(($"{at.NameOf(at.Follower)}lease keep-alive IDA: the first three lines", Lines(keeper.Stdout.Take(3).Select(l => Ids(l, ids)))));
            steps.Add(($"{at.NameOf(at.Follower)}lease keep-alive IDA: every line once, and the exit code", $"exit={exit} " + Lines(keeper.Stdout.Select(l => Ids(l, ids)).Distinct())));
        }
        await Step(at.Follower, ["get", "ka/", "--prefix"]);

        // etcdctl renews every TTL/3: two renewals of a 12 s lease take 4 s, and it is still there for 8 s after the stop.
        var stopped = await GrantAsync(at.Other, 12, ids);
        await using (var keeper = EtcdctlWatch.StartCommand(at.Follower, false, "lease", "keep-alive", stopped))
        {
            await keeper.WaitForLinesAsync(2);
            await keeper.StopAsync();
            steps.Add(($"{at.NameOf(at.Follower)}lease keep-alive IDB: the first two lines", Lines(keeper.Stdout.Take(2).Select(l => Ids(l, ids)))));
        }
        await Step(at.Leader, ["lease", "timetolive", stopped], " after its keep-alive was killed");
        await Step(at.Other, ["lease", "revoke", stopped]);
        await Step(at.Follower, ["lease", "keep-alive", "1234"]);
        await Step(at.Follower, ["lease", "keep-alive", stopped]);
        return steps;
    }

    private static async Task<string> GrantAsync(string ep, int ttl, List<string> ids)
    {
        var r = (await Etcdctl.RunAsync(ep, "lease", "grant", S(ttl))).EnsureSuccess();
        var id = Regex.Match(r.Stdout, "^lease ([0-9a-f]{16}) granted").Groups[1].Value;
        ids.Add(id);
        return id;
    }

    /// <summary>
    /// Exit code, stdout and etcdctl's "Error:"/"watch was canceled" lines (its JSON log lines carry timestamps), with
    /// what may differ masked: revisions relative to <paramref name="r"/> (when not 0), lease ids named, other leases'
    /// ids dropped from `lease list` (other specs on a shared cluster may hold some), ids of members and clusters, the
    /// raft term, remaining TTLs; attached keys and listed leases sorted (etcd prints its maps' order).
    /// </summary>
    private static string Normalise(Etcdctl.Result result, long r, List<string> ids)
    {
        var stdout = Ids(result.Stdout, ids);
        stdout = Regex.Replace(stdout, "\"(cluster_id|member_id|raft_term)\":[0-9]+", "\"$1\":_");
        stdout = r == 0 ? Regex.Replace(stdout, "\"revision\":[0-9]+", "\"revision\":_") : Relative(stdout, r);
        stdout = Regex.Replace(stdout, @"remaining\(\d+s\)", "remaining(_s)");
        stdout = Regex.Replace(stdout, "\"ttl\":[1-9][0-9]*", "\"ttl\":_");
        stdout = Regex.Replace(stdout, @"attached keys\(\[([^\]]*)\]\)", m => $"attached keys([{string.Join(' ', m.Groups[1].Value.Split(' ').Order(StringComparer.Ordinal))}])");
        stdout = Regex.Replace(stdout, "\"keys\":\\[([^\\]]*)\\]", m => $"\"keys\":[{string.Join(',', m.Groups[1].Value.Split(',').Order(StringComparer.Ordinal))}]");
        var lines = stdout.TrimEnd().Split('\n').ToList();
        if (lines is [var first, ..] && Regex.IsMatch(first, "^found [0-9]+ leases$"))
        {
            var listed = lines.Skip(1).Where(l => !Regex.IsMatch(l, "^[0-9a-f]{16}$")).Order(StringComparer.Ordinal).ToList();
            lines = [$"found {listed.Count} leases of this session", .. listed];
        }
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal) || l.StartsWith("watch was canceled", StringComparison.Ordinal));
        return $"exit={result.ExitCode} out=[{string.Join('\n', lines)}] err=[{string.Join('\n', errors)}]";
    }

    /// <summary>Lease ids as the step that granted them: IDA, IDB... (hex as etcdctl prints them, and decimal in JSON).</summary>
    private static string Ids(string text, List<string> ids)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            var name = "ID" + (char)('A' + i);
            text = text.Replace(ids[i], name, StringComparison.Ordinal)
                .Replace(S(Convert.ToInt64(ids[i], 16)), name, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Revisions in etcdctl's words ("compacted revision N", "revision":N, a bare argument) as R+k.</summary>
    private static string Relative(string text, long r) =>
        Regex.Replace(text, @"(?<=^|compacted revision |""revision"":)([0-9]+)(?=$|\D)", m =>
        {
            var n = long.Parse(m.Value, CultureInfo.InvariantCulture);
            return n == r ? "R" : n > r - 50 ? $"R{n - r:+0;-0}" : m.Value;
        }, RegexOptions.Multiline);

    private static long RevisionOf(string json) => long.Parse(Regex.Match(json, "\"revision\":([0-9]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static string Lines(IEnumerable<string> lines) => "[" + string.Join(" | ", lines) + "]";

    // The events after the last put of "go" (how many it took differs by run).
    private static IEnumerable<string> AfterLastGo(IReadOnlyList<string> lines)
    {
        var last = -1;
        for (var i = 0; i < lines.Count; i++) if (lines[i] == "go") last = i;
        return lines.Skip(last + 1);
    }
}
