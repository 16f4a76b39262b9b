using Akka.Persistence.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Faults the replication spec does not cover: the leader cut off from the majority (it must step down, the
/// majority goes on, and nothing the old leader accepted afterwards is acknowledged), and a journal write that
/// fails on the leader (nothing unacknowledged is applied, the member recovers by itself and rejoins).
/// </summary>
public sealed class ClusterFailureSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_leader_partitioned_from_the_majority_steps_down_and_the_majority_elects_another()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var majority = cluster.Up.Where(i => i != leader).ToArray();
        await cluster[leader].Server.PutAsync(Put("part/before", "1"));

        await cluster.IsolateAsync(leader);
        // A write sent to the old leader cannot be committed without the majority: never acknowledged.
        var stranded = cluster[leader].Server.PutAsync(Put("part/stranded", "x"));
        var next = await cluster.LeaderAsync(majority);
        Assert.NotEqual(leader, next);
        await cluster[next].Server.PutAsync(Put("part/after", "2"));
        // Check-quorum: the old leader notices it lost the majority and steps down by itself.
        await WaitUntilAsync(async () => (await cluster[leader].Server.StatusAsync()).Leader != cluster[leader].Server.MemberId,
            "the partitioned leader still claims leadership");

        await cluster.HealAsync();
        // Healed, the old leader's uncommitted entry is overwritten by the new leader's log: its client is told
        // at once that the leader changed, rather than after the request timeout.
        var started = DateTime.UtcNow;
        var failed = await Assert.ThrowsAsync<EtcdException>(() => stranded);
        output.WriteLine($"the write stranded on the old leader failed with \"{failed.Error.Message}\" {(DateTime.UtcNow - started).TotalMilliseconds:F0} ms after healing");
        Assert.Equal(EtcdErrors.LeaderChanged, failed.Error);
        Assert.Equal(next, await cluster.LeaderAsync());
        var read = await cluster[leader].Server.RangeAsync(Get("part/after"));
        Assert.Equal("2", Assert.Single(read.Kvs).Value.ToStringUtf8());
        // The stranded write is either gone or was applied exactly once; since it failed, it must be gone
        // unless the new leader committed the old leader's entry (it cannot: the old leader was cut off).
        var strandedRead = await cluster[next].Server.RangeAsync(Get("part/stranded"));
        Assert.Empty(strandedRead.Kvs);
    }

    [Fact]
    public async Task A_journal_write_failure_on_the_leader_is_not_acknowledged_and_the_member_recovers_and_rejoins()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { ExtraHocon = s.ExtraHocon + "\n" + TestJournals.Hocon });
        var leader = await cluster.LeaderAsync();
        var before = await cluster[leader].Server.PutAsync(Put("jf/a", "1"));
        var journal = TestJournals.Of(cluster[leader].System);

        await journal.OnWrite.Fail();
        var failed = await Assert.ThrowsAsync<EtcdException>(() => cluster[leader].Server.PutAsync(Put("jf/maybe", "x")));
        // The leader sent the entry to its followers before its own write failed, as etcd's leader does: the
        // others may still commit it, so the client hears etcd's "possibly" error, not a definite failure.
        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, failed.Error);
        await journal.OnWrite.Pass();

        // The failed member's RaftActor was recreated from its journal; once the members agree on a leader
        // again (a proposal sent while the failed actor was being recreated would be lost like any message
        // to a stopped peer, and time out), the cluster serves and the member catches up.
        await cluster.LeaderAsync();
        var survivor = cluster.Up.First(i => i != leader);
        var after = await cluster[survivor].Server.PutAsync(Put("jf/b", "2"));
        var read = await cluster[leader].Server.RangeAsync(Get("jf/b"));
        Assert.Equal("2", Assert.Single(read.Kvs).Value.ToStringUtf8());
        Assert.True(after.Header.Revision > before.Header.Revision);
        // Whether or not the unacknowledged write survived, every member agrees on it.
        var views = await Task.WhenAll(cluster.Up.Select(i => cluster[i].Server.RangeAsync(Get("jf/maybe"))));
        Assert.Single(views.Select(v => v.Kvs.Count == 0 ? "absent" : v.Kvs[0].Value.ToStringUtf8()).Distinct());
        output.WriteLine($"the unacknowledged write is {(views[0].Kvs.Count == 0 ? "absent" : "present")} on every member");
    }
}
