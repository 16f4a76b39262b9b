using Etcd.Actors.Server;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// The mistake etcd's X-Etcd-Cluster-ID guards against: a member of another cluster is started with one of our
/// members' peer URLs in its --initial-cluster (a copied config, a reused address). Here cluster B is b0, b1
/// and "m1" at our m1's peer URL, with our token, so B's idea of m1 even has m1's member id: only the cluster
/// id tells B's traffic apart. B elects a leader among b0 and b1, moves leadership until its term is well ahead of
/// ours and sends m1 heartbeats and appends. Before the cluster id was checked, m1 followed B's leader at B's
/// term, which deposed our leader; at equal terms Raft's log matching even took B's entries for ours (same
/// index, same term) and m1 appended and applied the ones past the end of our log.
/// The spec does not demand that our leader and term never change: on a starved machine (two CI runs at once,
/// load 50) our own cluster may hold an election of its own in the window. What B's traffic would do, and what
/// is asserted, is make a member follow B's leader or carry our term up to B's.
/// </summary>
public sealed class AnotherClusterSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_member_of_another_cluster_given_our_peer_url_changes_nothing_and_both_clusters_serve()
    {
        await using var ours = await TestCluster.StartAsync(3);
        var leader = await ours.LeaderAsync();
        const int shared = 1;
        for (var i = 0; i < 10; i++) await ours[leader].Server.PutAsync(Put($"a/{i}", $"ours-{i}"));
        var before = await ours.ViewsAsync();
        var warnings = new WarningLog(ours[shared].System);

        using var dir = new TempDir("etcd-other-cluster");
        var urls = new[] { $"http://127.0.0.1:{FreePort.Next()}", $"http://127.0.0.1:{FreePort.Next()}" };
        var ourUrl = ours.Settings(shared).AdvertisePeerUrls[0];
        EtcdServerSettings Theirs(int i) => ours.Settings(0) with
        {
            Name = $"b{i}",
            DataDir = dir.Sub($"b{i}"),
            ListenPeerUrls = [urls[i]],
            AdvertisePeerUrls = [urls[i]],
            AdvertiseClientUrls = [$"http://127.0.0.1:{FreePort.Next()}"],
            InitialCluster = [new("b0", [urls[0]]), new("b1", [urls[1]]), new(ours.Settings(shared).Name, [ourUrl])],
        };
        var starting = new[] { EtcdNode.StartAsync(Theirs(0)), EtcdNode.StartAsync(Theirs(1)) };
        await using var b0 = await starting[0].WaitAsync(TimeSpan.FromSeconds(90));
        await using var b1 = await starting[1].WaitAsync(TimeSpan.FromSeconds(90));
        Assert.NotEqual(ours[0].Server.ClusterId, b0.Server.ClusterId);
        output.WriteLine($"ours {ours[0].Server.ClusterId:x16}, theirs {b0.Server.ClusterId:x16}, leader term {before[0].Term}");

        // Leader transfers put their term well ahead of ours, as elections on their side would: far enough that
        // an election or two of our own under load cannot reach it.
        // Bounded in time, not in moves: on a starved machine a move can be refused or overtaken by an election of
        // their own (either of which also raises their term), so each round asks who leads now.
        var moving = System.Diagnostics.Stopwatch.StartNew();
        var attempts = 0;
        while (moving.Elapsed < TimeSpan.FromSeconds(90))
        {
            var (from, term) = await TheirLeaderAsync();
            if (term >= before[0].Term + 4) break;
            var to = from == b0 ? b1 : b0;
            attempts++;
            try
            {
                await from.Server.MoveLeaderAsync(new Etcd.Api.Etcdserverpb.MoveLeaderRequest { TargetID = to.Server.MemberId });
            }
            catch (Etcd.Actors.Errors.EtcdException e)
            {
                output.WriteLine($"move {attempts} refused: {e.Message}");
            }
        }
        for (var i = 0; i < 20; i++) await b0.Server.PutAsync(Put($"b/{i}", $"theirs-{i}"));
        var theirStatus = await b0.Server.StatusAsync();
        output.WriteLine($"their leader {theirStatus.Leader:x16} at term {theirStatus.RaftTerm}");
        Assert.True(theirStatus.RaftTerm >= before[0].Term + 4, $"their term {theirStatus.RaftTerm} is not ahead of ours after {attempts} moves");
        // Their log is now longer than ours at the same term. Give their heartbeats and appends three election
        // timeouts to reach m1 (a window to observe that nothing happens, not a synchronisation).
        await Task.Delay(3 * ours.Settings(0).Raft.ElectionTimeout);

        await AssertOursFollowOneOfUsAsync();
        // Our data, on every member, linearizably; and we still take writes, through the member they target too.
        await ours[shared].Server.PutAsync(Put("a/after", "ours"));
        foreach (var i in ours.Up)
        {
            var all = await ours[i].Server.RangeAsync(new Etcd.Api.Etcdserverpb.RangeRequest
            {
                Key = Google.Protobuf.ByteString.CopyFromUtf8("a/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("a0"), CountOnly = true,
            });
            Assert.Equal(11, all.Count);
            Assert.Empty((await ours[i].Server.RangeAsync(Get("b/0"))).Kvs);
        }
        Assert.Equal(3, (await ours[leader].Server.MemberListAsync()).Members.Count);
        // Theirs serves too, with its own data only.
        Assert.Equal("theirs-3", Assert.Single((await b1.Server.RangeAsync(Get("b/3"))).Kvs).Value.ToStringUtf8());
        Assert.Empty((await b1.Server.RangeAsync(Get("a/3"))).Kvs);
        await AssertOursFollowOneOfUsAsync();
        // And their traffic did reach m1, which dropped it and said so.
        await warnings.SnapshotAsync();
        Assert.True(warnings.Count("request cluster ID mismatch") >= 1, "m1 never saw the other cluster's traffic");

        // Their leader once b0 and b1 agree on it and on the term (asked until they do, bounded): a member that
        // just lost leadership can still call itself leader for a moment.
        async Task<(EtcdNode Node, ulong Term)> TheirLeaderAsync()
        {
            for (var tries = 0; ; tries++)
            {
                var s0 = await b0.Server.StatusAsync();
                var s1 = await b1.Server.StatusAsync();
                if (s0.Leader == s1.Leader && s0.RaftTerm == s1.RaftTerm)
                {
                    if (s0.Leader == b0.Server.MemberId) return (b0, s0.RaftTerm);
                    if (s0.Leader == b1.Server.MemberId) return (b1, s0.RaftTerm);
                }
                Assert.True(tries < 300, "their cluster has no leader");
                await Task.Delay(50);
            }
        }

        async Task AssertOursFollowOneOfUsAsync()
        {
            await ours.LeaderAsync();
            var views = await ours.ViewsAsync();
            if (!views.SequenceEqual(before)) output.WriteLine($"our cluster held an election of its own: {string.Join(", ", views)}");
            Assert.All(views, v =>
            {
                Assert.True(ours.MemberIndex(v.Leader) >= 0, $"a member of ours follows {v.Leader:x16}, not one of us");
                Assert.True(v.Term < theirStatus.RaftTerm, $"our term {v.Term} reached theirs ({theirStatus.RaftTerm})");
            });
        }
    }
}
