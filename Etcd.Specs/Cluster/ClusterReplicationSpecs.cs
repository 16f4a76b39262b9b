using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>Three real members over Akka.Remote in one process: election, replication, follower reads and writes.</summary>
public sealed class ClusterReplicationSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task One_leader_is_elected_and_every_member_reports_it()
    {
        var leader = await _cluster.LeaderAsync();
        var statuses = await Task.WhenAll(_cluster.Up.Select(i => _cluster[i].Server.StatusAsync()));
        Assert.All(statuses, s => Assert.Equal(_cluster[leader].Server.MemberId, s.Leader));
        Assert.Single(statuses.Select(s => s.RaftTerm).Distinct());
        output.WriteLine($"leader m{leader}, term {statuses[0].RaftTerm}");
    }

    [Fact]
    public async Task A_put_on_a_follower_is_committed_and_read_linearizably_on_every_member()
    {
        var leader = await _cluster.LeaderAsync();
        var follower = _cluster.Up.First(i => i != leader);
        var put = await _cluster[follower].Server.PutAsync(Put("rep/a", "1"));
        Assert.Equal(_cluster[follower].Server.MemberId, put.Header.MemberId);

        foreach (var i in _cluster.Up)
        {
            // Linearizable: each member asks the leader for a read index and waits until it has applied it.
            var got = await _cluster[i].Server.RangeAsync(Get("rep/a"));
            Assert.Equal("1", Assert.Single(got.Kvs).Value.ToStringUtf8());
            Assert.Equal(put.Header.Revision, got.Header.Revision);
        }
    }

    [Fact]
    public async Task Alarm_requests_through_a_follower_are_forwarded_and_answered()
    {
        // Every alarm request is proposed (etcd 3.4), so a follower forwards it and the leader validates it again.
        var leader = await _cluster.LeaderAsync();
        var follower = _cluster.Up.First(i => i != leader);
        var server = _cluster[follower].Server;
        Assert.Empty((await server.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get })).Alarms);
        await server.AlarmAsync(new AlarmRequest
        {
            Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = server.MemberId, Alarm = AlarmType.Nospace,
        });
        var listed = await server.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
        Assert.Equal(AlarmType.Nospace, Assert.Single(listed.Alarms).Alarm);
        await server.AlarmAsync(new AlarmRequest
        {
            Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = server.MemberId, Alarm = AlarmType.Nospace,
        });
        Assert.Empty((await server.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get })).Alarms);
    }

    [Fact]
    public async Task Concurrent_writes_through_every_member_all_land_in_one_order()
    {
        await _cluster.LeaderAsync();
        const int perMember = 200;
        var writes = _cluster.Up.SelectMany(i => Enumerable.Range(0, perMember)
            .Select(n => _cluster[i].Server.PutAsync(Put($"conc/{i}/{n}", $"{n}")))).ToArray();
        var results = await Task.WhenAll(writes);
        // Every acknowledged write got its own revision: one total order across members.
        Assert.Equal(results.Length, results.Select(r => r.Header.Revision).Distinct().Count());

        var ranges = await Task.WhenAll(_cluster.Up.Select(i => _cluster[i].Server.RangeAsync(new() { Key = Google.Protobuf.ByteString.CopyFromUtf8("conc/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("conc0"), CountOnly = true })));
        Assert.All(ranges, r => Assert.Equal(3 * perMember, r.Count));
    }

    [Fact]
    public async Task Killing_the_leader_elects_another_and_the_restarted_member_catches_up()
    {
        var leader = await _cluster.LeaderAsync();
        var survivor = _cluster.Up.First(i => i != leader);
        await _cluster[survivor].Server.PutAsync(Put("kill/before", "1"));

        await _cluster.CrashAsync(leader);
        var started = DateTime.UtcNow;
        var next = await _cluster.LeaderAsync();
        Assert.NotEqual(leader, next);
        await _cluster[survivor].Server.PutAsync(Put("kill/after", "2"));
        output.WriteLine($"new leader m{next} serving writes {(DateTime.UtcNow - started).TotalMilliseconds:F0} ms after the crash");

        await _cluster.StartMemberAsync(leader);
        var read = await _cluster[leader].Server.RangeAsync(Get("kill/after"));
        Assert.Equal("2", Assert.Single(read.Kvs).Value.ToStringUtf8());
    }

    [Fact]
    public async Task A_minority_member_cut_off_serves_no_linearizable_read_and_catches_up_after_healing()
    {
        var leader = await _cluster.LeaderAsync();
        var lonely = _cluster.Up.First(i => i != leader);
        await _cluster.IsolateAsync(lonely);
        await _cluster[leader].Server.PutAsync(Put("iso/a", "1"));

        // Cut off, it cannot confirm a read index: the read waits and then fails rather than answer stale.
        var ex = await Assert.ThrowsAsync<EtcdException>(() => _cluster[lonely].Server.RangeAsync(Get("iso/a")));
        Assert.Contains(ex.Error, new[] { EtcdErrors.NoLeader, EtcdErrors.Timeout, EtcdErrors.LeaderChanged });

        await _cluster.HealAsync();
        var read = await _cluster[lonely].Server.RangeAsync(Get("iso/a"));
        Assert.Equal("1", Assert.Single(read.Kvs).Value.ToStringUtf8());
        // Pre-vote and check-quorum: the member coming back did not depose the leader.
        Assert.Equal(leader, await _cluster.LeaderAsync());
    }
}
