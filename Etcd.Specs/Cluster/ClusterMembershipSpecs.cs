using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Membership changes on a running three-member cluster over Akka.Remote: a learner joins, catches up, is
/// refused what learners may not serve, is promoted and removed (and stops); members are added and removed
/// while writes go on; MoveLeader hands leadership over; the strict reconfiguration check refuses changes
/// while the cluster has not been healthy for 5 s.
/// </summary>
public sealed class ClusterMembershipSpecs(ITestOutputHelper output)
{
    private static EtcdServerSettings Lenient(EtcdServerSettings s) => s with { Raft = s.Raft with { StrictReconfigCheck = false } };

    /// <summary>Settings for a member added with `member add`: it joins with --initial-cluster-state existing.</summary>
    private static EtcdServerSettings Joiner(TestCluster cluster, TempDir dir, string name, string peerUrl) => cluster.Settings(0) with
    {
        Name = name,
        DataDir = dir.Sub(name),
        ListenPeerUrls = [peerUrl],
        AdvertisePeerUrls = [peerUrl],
        AdvertiseClientUrls = [$"http://127.0.0.1:{FreePort.Next()}"],
        InitialCluster = [.. cluster.Settings(0).InitialCluster, new(name, [peerUrl])],
        InitialClusterState = "existing",
    };

    [Fact]
    public async Task A_learner_joins_catches_up_serves_only_serializable_reads_is_promoted_and_removed()
    {
        await using var cluster = await TestCluster.StartAsync(3, Lenient);
        using var dir = new TempDir("etcd-learner");
        var leader = await cluster.LeaderAsync();
        for (var i = 0; i < 20; i++) await cluster[leader].Server.PutAsync(Put($"l/{i}", $"{i}"));

        var peer = $"http://127.0.0.1:{FreePort.Next()}";
        var added = await cluster[0].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { peer }, IsLearner = true });
        Assert.True(added.Member.IsLearner);
        Assert.Equal(4, added.Members.Count);
        Assert.Contains(added.Members, m => m.ID == added.Member.ID && m.Name == "");

        await using var learner = await EtcdNode.StartAsync(Joiner(cluster, dir, "learner", peer)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(added.Member.ID, learner.Server.MemberId);
        Assert.Equal(cluster[0].Server.ClusterId, learner.Server.ClusterId);

        // It has the whole log: every key, through a serializable read (its only kind).
        var all = await learner.Server.RangeAsync(new RangeRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("l/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("l0"), Serializable = true, CountOnly = true,
        });
        Assert.Equal(20, all.Count);
        var status = await learner.Server.StatusAsync();
        Assert.True(status.IsLearner);
        Assert.Equal(etcdErrors(await Assert.ThrowsAsync<EtcdException>(() => learner.Server.PutAsync(Put("l/x", "no")))), EtcdErrors.LearnerNotSupported);
        Assert.Equal(etcdErrors(await Assert.ThrowsAsync<EtcdException>(() => learner.Server.RangeAsync(Get("l/1")))), EtcdErrors.LearnerNotSupported);

        // Promoting a voter is refused; the learner catches up, so its promotion is accepted. The leader judges "in
        // sync" by the learner's match index in its own progress, which trails what the learner has applied until the
        // learner's acknowledgement arrives (and the learner's publication of its name is one more entry to ack), so
        // on a busy machine a first promotion may still be refused as etcd refuses it (MembershipRules.ValidatePromote);
        // a client retries, as here. A learner whose progress never reaches the leader's fails this wait.
        var voter = cluster[0].Server.MemberId;
        Assert.Equal(EtcdErrors.MemberNotLearner, etcdErrors(await Assert.ThrowsAsync<EtcdException>(
            () => cluster[1].Server.MemberPromoteAsync(new MemberPromoteRequest { ID = voter }))));
        MemberPromoteResponse? promoted = null;
        await WaitUntilAsync(async () =>
        {
            try { promoted = await cluster[1].Server.MemberPromoteAsync(new MemberPromoteRequest { ID = added.Member.ID }); }
            catch (EtcdException e) when (e.Error == EtcdErrors.LearnerNotReady) { return false; }
            return true;
        }, "the learner was never in sync enough to be promoted");
        Assert.DoesNotContain(promoted!.Members, m => m.IsLearner);
        await WaitUntilAsync(async () => !(await learner.Server.StatusAsync()).IsLearner, "the promoted member still reports itself a learner");
        var read = await learner.Server.RangeAsync(Get("l/3"));
        Assert.Equal("3", Assert.Single(read.Kvs).Value.ToStringUtf8());

        // Removed, it stops by itself; the other three keep serving.
        var removed = await cluster[2].Server.MemberRemoveAsync(new MemberRemoveRequest { ID = added.Member.ID });
        Assert.Equal(3, removed.Members.Count);
        await learner.Removed.WaitAsync(TimeSpan.FromSeconds(30));
        await cluster[0].Server.PutAsync(Put("l/after", "1"));
        var list = await cluster[1].Server.MemberListAsync();
        Assert.DoesNotContain(list.Members, m => m.ID == added.Member.ID);
    }

    [Fact]
    public async Task Members_are_added_and_removed_while_clients_write_and_no_acknowledged_write_is_lost()
    {
        await using var cluster = await TestCluster.StartAsync(3, Lenient);
        using var dir = new TempDir("etcd-member-load");
        await cluster.LeaderAsync();
        using var stop = new CancellationTokenSource();
        var acked = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            // Bounded in count and time: at most 2000 writes each, and stopped when the changes are done.
            for (var n = 0; n < 2000 && !stop.IsCancellationRequested; n++)
            {
                var key = $"load/{w}/{n}";
                var via = cluster[w % 3];
                // A member that was removed has stopped serving; its clients would go elsewhere.
                if (via.Removed.IsCompleted) via = cluster[(w + 1) % 3].Removed.IsCompleted ? cluster[(w + 2) % 3] : cluster[(w + 1) % 3];
                try
                {
                    await via.Server.PutAsync(Put(key, $"{n}"));
                    acked[key] = $"{n}";
                }
                catch (EtcdException e)
                {
                    errors.Add(e.Error.Message);
                }
            }
        })).ToArray();

        var peer = $"http://127.0.0.1:{FreePort.Next()}";
        var added = await cluster[1].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { peer } });
        await using var joined = await EtcdNode.StartAsync(Joiner(cluster, dir, "m3", peer)).WaitAsync(TimeSpan.FromSeconds(60));
        var leaderNow = cluster.MemberIndex((await cluster[0].Server.StatusAsync()).Leader);
        var follower = cluster.Up.First(i => i != leaderNow);
        await cluster[0].Server.MemberRemoveAsync(new MemberRemoveRequest { ID = cluster[follower].Server.MemberId });
        await cluster[follower].Removed.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(500); // let the writers run a little on the new membership; not a synchronisation
        stop.Cancel();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"acknowledged {acked.Count} writes; refused {errors.Count}: {string.Join(", ", errors.Distinct())}");
        Assert.True(acked.Count > 0);
        var survivor = cluster.Up.First(i => i != follower);
        // Linearizable read of everything through the member that joined during the load.
        var got = await joined.Server.RangeAsync(new RangeRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("load/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("load0"),
        });
        var stored = got.Kvs.ToDictionary(k => k.Key.ToStringUtf8(), k => k.Value.ToStringUtf8());
        foreach (var (key, value) in acked)
            Assert.True(stored.TryGetValue(key, out var v) && v == value, $"acknowledged {key}={value} is missing or different");
        var members = await cluster[survivor].Server.MemberListAsync();
        Assert.Equal(3, members.Members.Count);
        Assert.Contains(members.Members, m => m.ID == added.Member.ID && m.Name == "m3");
    }

    [Fact]
    public async Task MoveLeader_hands_leadership_to_the_target_and_refuses_what_etcd_refuses()
    {
        await using var cluster = await TestCluster.StartAsync(3, Lenient);
        var leader = await cluster.LeaderAsync();
        var target = cluster.Up.First(i => i != leader);
        var other = cluster.Up.First(i => i != leader && i != target);

        Assert.Equal(EtcdErrors.NotLeader, etcdErrors(await Assert.ThrowsAsync<EtcdException>(
            () => cluster[other].Server.MoveLeaderAsync(new MoveLeaderRequest { TargetID = cluster[target].Server.MemberId }))));
        Assert.Equal(EtcdErrors.BadLeaderTransferee, etcdErrors(await Assert.ThrowsAsync<EtcdException>(
            () => cluster[leader].Server.MoveLeaderAsync(new MoveLeaderRequest { TargetID = 0xdead }))));

        // Target 0 names no member (etcd: bad leader transferee), not "any voter".
        Assert.Equal(EtcdErrors.BadLeaderTransferee, etcdErrors(await Assert.ThrowsAsync<EtcdException>(
            () => cluster[leader].Server.MoveLeaderAsync(new MoveLeaderRequest { TargetID = 0 }))));
        Assert.Equal(leader, await cluster.LeaderAsync());

        await cluster[leader].Server.MoveLeaderAsync(new MoveLeaderRequest { TargetID = cluster[target].Server.MemberId });
        Assert.Equal(target, await cluster.LeaderAsync());
        await cluster[leader].Server.PutAsync(Put("moved", "1"));
    }

    /// <summary>
    /// A member that was down while the membership changed comes back with an old configuration: the leader
    /// is then a member it has never heard of. It must accept that leader's messages and catch up from them.
    /// </summary>
    [Fact]
    public async Task A_member_down_while_membership_changed_accepts_a_leader_it_never_knew_and_catches_up()
    {
        await using var cluster = await TestCluster.StartAsync(3, Lenient);
        using var dir = new TempDir("etcd-stale-config");
        // Who led matters to the race below (only a crashed leader loses a forwarded request): say it.
        output.WriteLine($"member {await cluster.LeaderAsync()} led before member 2 crashed");
        await cluster.CrashAsync(2);
        // The survivors must have noticed the crash before they are asked for a change: a request that a follower
        // forwards to a leader that has just died is lost with it, and the client hears "request timed out" after the
        // request timeout (etcd 3.4 alike: the follower's MsgProp goes to the dead leader, and etcdserver answers
        // ErrTimeoutDueToLeaderFail). When member 2 led, Terminate returns as soon as its sockets are closed (our
        // transport's Shutdown), and the survivors' RaftActors learn of it (DisassociatedEvent) a few actor hops later:
        // on a loaded machine after the MemberAdd was forwarded: likely what failed 2 of 8 local runs and once in CI with
        // our transport (not reproduced since). Both survivors agreeing on a running leader is that notice.
        await cluster.LeaderAsync();

        var peer = $"http://127.0.0.1:{FreePort.Next()}";
        var added = await cluster[0].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { peer } });
        await using var d = await EtcdNode.StartAsync(Joiner(cluster, dir, "d", peer)).WaitAsync(TimeSpan.FromSeconds(60));
        await cluster[1].Server.MemberRemoveAsync(new MemberRemoveRequest { ID = cluster[0].Server.MemberId });
        await cluster[0].Removed.WaitAsync(TimeSpan.FromSeconds(30));

        // Leadership goes to the new member, which member 2 has never heard of.
        var dId = added.Member.ID;
        for (var attempt = 0; ; attempt++)
        {
            var lead = (await cluster[1].Server.StatusAsync()).Leader;
            if (lead == dId && (await d.Server.StatusAsync()).Leader == dId) break;
            if (attempt == 20) throw new TimeoutException($"leadership did not reach the new member\n{cluster.Diagnostics()}");
            var leaderServer = lead == cluster[1].Server.MemberId ? cluster[1].Server : d.Server;
            try
            {
                if (lead != 0) await leaderServer.MoveLeaderAsync(new MoveLeaderRequest { TargetID = dId });
            }
            catch (EtcdException)
            {
                // Leadership moved meanwhile; look again.
            }
            await Task.Delay(200);
        }
        await d.Server.PutAsync(Put("stale/after", "1"));

        await cluster.StartMemberAsync(2); // completes only once it follows a leader
        // Usually d, which it never knew; on a starved machine leadership may have moved on to member 1 meanwhile
        // (seen once in CI). Either way it follows a current member, and it learned d (the member list below).
        var followed = (await cluster[2].Server.StatusAsync()).Leader;
        Assert.Contains(followed, new[] { dId, cluster[1].Server.MemberId });
        var read = await cluster[2].Server.RangeAsync(Get("stale/after"));
        Assert.Equal("1", Assert.Single(read.Kvs).Value.ToStringUtf8());
        var members = await cluster[2].Server.MemberListAsync();
        Assert.Equal(new[] { cluster[1].Server.MemberId, cluster[2].Server.MemberId, dId }.Order(), members.Members.Select(m => m.ID).Order());
    }

    [Fact]
    public async Task The_strict_reconfiguration_check_refuses_an_add_before_the_cluster_was_healthy_for_5_seconds()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var ex = await Assert.ThrowsAsync<EtcdException>(
            () => cluster[0].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { $"http://127.0.0.1:{FreePort.Next()}" } }));
        Assert.Equal(EtcdErrors.Unhealthy, ex.Error);
        Assert.Equal(3, (await cluster[1].Server.MemberListAsync()).Members.Count);
        // A bad URL is refused with etcd's error whatever the health.
        Assert.Equal(EtcdErrors.MemberBadUrls, etcdErrors(await Assert.ThrowsAsync<EtcdException>(
            () => cluster[0].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { "http://no-port" } }))));
    }

    private static EtcdError etcdErrors(EtcdException e) => e.Error;
}
