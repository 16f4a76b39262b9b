using System.Text.Json;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Data integrity checks on a three-member cluster of real processes, driven by etcdctl: every member's
/// `endpoint hashkv` agrees; with --experimental-initial-corrupt-check a member whose mvcc.db was tampered with
/// while it was stopped refuses to start with etcd's message; with --experimental-corrupt-check-time the leader
/// finds such a member, raises CORRUPT cluster-wide, writes are refused with "etcdserver: corrupt cluster",
/// `alarm list` shows it and `alarm disarm` clears it.
/// </summary>
public sealed class CorruptionCheckProcessSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new("etcd-corrupt-check");
    private ProcessCluster? _cluster;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Members_agree_on_hashkv_and_a_tampered_member_is_refused_at_start()
    {
        _cluster = ProcessCluster.Create(_dir, 3, "--experimental-initial-corrupt-check=true", "--experimental-corrupt-check-time=1s");
        await _cluster.StartAsync();
        var revision = await WriteHistoryAsync();

        var all = await AgreedHashKvAsync(revision);
        output.WriteLine($"hashkv at {revision}: {all}");
        var atEleven = await HashKvAsync(_cluster.Endpoints, "--rev", "11");
        Assert.Equal(3, atEleven.Count);
        Assert.Single(atEleven.Select(h => h.Hash).Distinct());

        var leader = await _cluster.LeaderAsync();
        var f = (leader + 1) % 3;
        var follower = _cluster[f];
        var id = (await _cluster.Maintenance(f).StatusAsync(new StatusRequest())).Header.MemberId;

        // An intact member passes the check on restart.
        Assert.Equal(0, await follower.StopAsync());
        await follower.StartAsync();
        Assert.Contains($"{id:x} succeeded on initial corruption checking: no corruption", follower.Output);

        Assert.Equal(0, await follower.StopAsync());
        Tamper(follower);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => follower.StartAsync());
        output.WriteLine(refused.Message);
        Assert.Equal(1, await follower.Exited);
        Assert.Contains($"C | etcdmain: {id:x} found data inconsistency with peers", follower.Output);

        // The others go on serving, and the healthy cluster never raised an alarm.
        (await Etcdctl.RunAsync(_cluster[leader].Endpoint, "put", "after", "1")).EnsureSuccess();
        var alarms = (await Etcdctl.RunAsync(_cluster[leader].Endpoint, "alarm", "list")).EnsureSuccess();
        Assert.Equal("", alarms.Stdout.Trim());
    }

    [Fact]
    public async Task The_periodic_check_raises_corrupt_writes_are_refused_and_disarm_clears_it()
    {
        _cluster = ProcessCluster.Create(_dir, 3, "--experimental-corrupt-check-time=1s");
        await _cluster.StartAsync();
        var revision = await WriteHistoryAsync();
        await AgreedHashKvAsync(revision);

        var leader = await _cluster.LeaderAsync();
        var f = (leader + 1) % 3;
        var follower = _cluster[f];
        Assert.Equal(0, await follower.StopAsync());
        Tamper(follower);
        await follower.StartAsync(); // no initial check: it starts, and the leader's next round finds it

        var endpoint = _cluster[leader].Endpoint;
        await WaitUntilAsync(async () => (await Etcdctl.RunAsync(endpoint, "alarm", "list")).Stdout.Trim() == "alarm:CORRUPT",
            "the leader raises CORRUPT");
        output.WriteLine(string.Join('\n', _cluster[leader].Output.Split('\n').Where(l => l.Contains("hash", StringComparison.Ordinal)).Take(5)));

        foreach (var m in _cluster.Members)
        {
            var put = await Etcdctl.RunAsync(m.Endpoint, "put", "x", "1");
            Assert.Equal(1, put.ExitCode);
            Assert.Contains("Error: etcdserver: corrupt cluster", put.Stderr);
            var get = (await Etcdctl.RunAsync(m.Endpoint, "get", "k0", "--print-value-only")).EnsureSuccess();
            Assert.Equal("v8", get.Stdout.Trim()); // reads still work, as in etcd 3.4
        }
        var status = await _cluster.Maintenance(leader).StatusAsync(new StatusRequest());
        Assert.Contains("alarm:CORRUPT ", status.Errors);

        // With the corrupt member gone, a round that no longer sees it finishes, and disarm then sticks.
        var peersChecked = "finished peer corruption check (1 peers checked)";
        // Counted over every member: leadership may move meanwhile, and rounds run on whoever leads.
        int Rounds() => _cluster.Members.Where(m => m != follower).Sum(m => Count(m.Output, peersChecked));
        var before = Rounds();
        await follower.KillAsync();
        await WaitUntilAsync(() => Task.FromResult(Rounds() > before), "a round without the corrupt member");
        var disarm = (await Etcdctl.RunAsync(endpoint, "alarm", "disarm")).EnsureSuccess();
        Assert.Equal("alarm:CORRUPT", disarm.Stdout.Trim());
        Assert.Equal("", (await Etcdctl.RunAsync(endpoint, "alarm", "list")).EnsureSuccess().Stdout.Trim());
        (await Etcdctl.RunAsync(_cluster[(leader + 2) % 3].Endpoint, "put", "x", "1")).EnsureSuccess();
    }

    /// <summary>Puts, deletes, a txn and a compaction through different members; returns the final revision.</summary>
    private async Task<long> WriteHistoryAsync()
    {
        var c = _cluster!;
        for (var i = 0; i < 9; i++) (await Etcdctl.RunAsync(c[i % 3].Endpoint, "put", $"k{i % 4}", $"v{i}")).EnsureSuccess();
        (await Etcdctl.RunAsync(c[1].Endpoint, "del", "k3")).EnsureSuccess();
        (await Etcdctl.RunWithStdinAsync(c[2].Endpoint, "value(\"k0\") = \"v8\"\n\nput k9 t\ndel k2\n\nput k8 f\n\n", "txn")).EnsureSuccess();
        (await Etcdctl.RunAsync(c[0].Endpoint, "compaction", "5")).EnsureSuccess();
        (await Etcdctl.RunAsync(c[0].Endpoint, "put", "k1", "v1")).EnsureSuccess();
        // 9 puts (2..10), del (11), txn (12), put (13).
        return 13;
    }

    /// <summary>Waits until every member has applied up to <paramref name="revision"/>, then asserts one hash.</summary>
    private async Task<string> AgreedHashKvAsync(long revision)
    {
        IReadOnlyList<(long Revision, uint Hash, long Compact)> hashes = [];
        await WaitUntilAsync(async () =>
        {
            hashes = await HashKvAsync(_cluster!.Endpoints);
            return hashes.Count == 3 && hashes.All(h => h.Revision == revision);
        }, $"every member at revision {revision}");
        Assert.Single(hashes.Select(h => (h.Hash, h.Compact)).Distinct());
        return string.Join(", ", hashes);
    }

    private static async Task<IReadOnlyList<(long Revision, uint Hash, long Compact)>> HashKvAsync(string endpoints, params string[] extra)
    {
        var r = await Etcdctl.RunAsync(endpoints, ["endpoint", "hashkv", "-w", "json", .. extra]);
        if (r.ExitCode != 0) return [];
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.EnumerateArray().Select(e =>
        {
            var h = e.GetProperty("HashKV");
            return (h.GetProperty("header").GetProperty("revision").GetInt64(), h.GetProperty("hash").GetUInt32(),
                h.GetProperty("compact_revision").GetInt64());
        }).ToList();
    }

    /// <summary>What a flipped bit on disk looks like: the newest put's value, rewritten in the stopped member's mvcc.db.</summary>
    internal static void Tamper(NodeProcess member)
    {
        var path = Path.Combine(member.DataDir, "member", "mvcc.db");
        using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "UPDATE kv SET value = X'6576696c' WHERE rev_main = (SELECT MAX(rev_main) FROM kv WHERE tombstone = 0)";
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {Bound.TotalSeconds} s: {what}");
            await Task.Delay(200);
        }
    }
}
