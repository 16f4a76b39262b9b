using System.Text.Json;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Deployment;

/// <summary>
/// The cluster the Procfile starts, run for real: its three command lines and hocon files with only the ports
/// moved (<see cref="LocalClusterFixture"/>), checked with the real etcdctl as the README tells a user to.
/// </summary>
public sealed class LocalClusterProcessSpecs(LocalClusterFixture fixture, ITestOutputHelper output) : IClassFixture<LocalClusterFixture>
{
    [Fact]
    public async Task Member_list_shows_three_started_members_with_the_names_and_urls_of_the_files()
    {
        var list = (await Etcdctl.RunAsync(fixture.Endpoints, "member", "list")).EnsureSuccess().Stdout;
        output.WriteLine($"three members ready {fixture.StartedIn.TotalSeconds:F1} s after start\n{list}");
        // etcdctl's simple form: "id, started, name, peer URLs, client URLs, is learner".
        var rows = list.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(", "))
            .ToDictionary(f => f[2]);
        Assert.Equal(3, rows.Count);
        foreach (var member in fixture.Cluster.Members)
        {
            var row = Assert.Contains(member.Name, rows);
            Assert.Equal("started", row[1]);
            Assert.Equal(member.PeerUrl.OriginalString, row[3]);
            Assert.Equal(member.ClientUrl.OriginalString, row[4]);
            Assert.Equal("false", row[5]);
        }
        Assert.Equal(["infra1", "infra2", "infra3"], rows.Keys.Order());
    }

    [Fact]
    public async Task A_put_on_one_member_is_read_on_another()
    {
        var (first, last) = (fixture.Cluster.Members[0], fixture.Cluster.Members[^1]);
        var value = $"from-{first.Name}-{Guid.NewGuid():N}";
        Assert.Equal("OK", (await Etcdctl.RunAsync(first.Endpoint, "put", "local-cluster/key", value)).EnsureSuccess().Stdout.Trim());
        // Linearizable (etcdctl's default): the other member reads through ReadIndex, so it must see the put.
        var got = (await Etcdctl.RunAsync(last.Endpoint, "get", "local-cluster/key", "--print-value-only")).EnsureSuccess().Stdout.Trim();
        Assert.Equal(value, got);
    }

    [Fact]
    public async Task Endpoint_status_names_exactly_one_leader_that_every_member_agrees_on()
    {
        // Each member was ready only once it knew a leader, so the first answer should already agree. A starved
        // member (2 busy cores) can still time out and start an election; a bounded number of fresh looks lets
        // the cluster settle, and a cluster that never shows one agreed leader fails.
        const int maxLooks = 10;
        (ulong Member, ulong Leader)[] statuses = [];
        for (var look = 1; look <= maxLooks; look++)
        {
            var json = (await Etcdctl.RunAsync(fixture.Endpoints, "endpoint", "status", "-w", "json")).EnsureSuccess().Stdout;
            output.WriteLine($"look {look}: {json}");
            statuses = Statuses(json);
            if (statuses.Length == 3 && statuses.Count(s => s.Member == s.Leader) == 1 && statuses.Select(s => s.Leader).Distinct().Count() == 1) break;
        }
        Assert.Equal(3, statuses.Length);
        Assert.Equal(3, statuses.Select(s => s.Member).Distinct().Count());
        Assert.Single(statuses, s => s.Member == s.Leader);
        Assert.Single(statuses.Select(s => s.Leader).Distinct());
    }

    /// <summary>etcdctl's JSON: member ids as numbers, which only an exact 64-bit read keeps intact.</summary>
    private static (ulong Member, ulong Leader)[] Statuses(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray()
            .Select(e => e.GetProperty("Status"))
            .Select(s => (s.GetProperty("header").GetProperty("member_id").GetUInt64(), s.GetProperty("leader").GetUInt64()))
            .ToArray();
    }

    [Fact]
    public void The_relative_data_dirs_of_the_files_hold_each_members_journal_and_backend()
    {
        foreach (var member in fixture.Cluster.Members)
        {
            Assert.StartsWith(fixture.Cluster.Directory, member.DataDir, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(member.DataDir, "member", "raft.db")), $"{member.Name}: no journal in {member.DataDir}");
            Assert.True(File.Exists(Path.Combine(member.DataDir, "member", "mvcc.db")), $"{member.Name}: no backend in {member.DataDir}");
        }
        // Nothing of the real cluster's fixed ports is left in what ran.
        Assert.All(fixture.Cluster.Members, m => Assert.DoesNotContain(m.ClientUrl.Port, fixture.Cluster.Ports.Keys));
        Assert.Equal([2379, 2380, 22379, 22380, 32379, 32380], fixture.Cluster.Ports.Keys);
    }
}
