using System.Collections.Concurrent;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Leases on three in-process members: keep-alives and TTL queries on a follower reach the leader (forwarded in a
/// PeerEnvelope); a kept-alive lease survives the leader's crash, an abandoned one expires once (one LeaseRevoke
/// proposal, counted from every member's ExpiryProposed events) with its keys deleted at the same revision on every
/// member; and a checkpointed long lease keeps its remaining TTL across a failover instead of starting over.
/// </summary>
public sealed class LeaseClusterSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_kept_alive_lease_survives_a_leader_crash_and_an_abandoned_one_expires_once()
    {
        // etcd proposes an expired lease again after 3 s if it is still there (a revocation lost in a leader change);
        // on a starved machine an applied one can take that long too, so the spec gives it 20 s: one proposal is the claim.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { Lease = s.Lease with { RetryRevoke = TimeSpan.FromSeconds(20) } });
        var expiries = new ConcurrentQueue<LeaseProtocol.ExpiryProposed>();
        foreach (var i in cluster.Up) Listen(cluster[i].System, expiries);
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Up.First(i => i != leader);
        var other = cluster.Up.First(i => i != leader && i != follower);
        var server = cluster[follower].Server;

        // Granted through a follower (its proposals are forwarded): 4 s leases, one key each.
        var kept = await server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 4 });
        await server.PutAsync(new PutRequest { Key = B("kept"), Value = B("1"), Lease = kept.ID });

        // On the follower, keep-alive and TimeToLive answer what the leader's lessor says.
        var renewed = await server.LeaseKeepAliveAsync(kept.ID);
        Assert.Equal(4, renewed.TTL);
        var ttl = await server.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = kept.ID, Keys = true });
        Assert.Equal(4, ttl.GrantedTTL);
        Assert.InRange(ttl.TTL, 1, 4);
        Assert.Equal("kept", Assert.Single(ttl.Keys).ToStringUtf8());
        Assert.Equal(0, (await server.LeaseKeepAliveAsync(12345)).TTL);

        // A client keeps `kept` alive through the follower, every second (a third of the TTL, as clientv3 does).
        using var stop = new CancellationTokenSource();
        var renewals = 0;
        var keeper = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if ((await server.LeaseKeepAliveAsync(kept.ID)).TTL > 0) Interlocked.Increment(ref renewals);
                }
                catch (EtcdException)
                {
                    // During the election: the client retries, as clientv3's keep-alive loop does.
                }
                await Task.Delay(1000, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });

        // Granted last before the crash, with `kept` already kept alive: the claim is that the new leader proposes its
        // expiry, once, and on a loaded box the checks above could take a good part of the 4 s the old leader holds it.
        var abandoned = await server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 4 });
        await server.PutAsync(new PutRequest { Key = B("abandoned"), Value = B("1"), Lease = abandoned.ID });

        await cluster.CrashAsync(leader);
        var next = await cluster.LeaderAsync();
        output.WriteLine($"leader {leader} crashed; member {next} leads");

        // The abandoned lease expires (its key goes), the kept one does not.
        await WaitUntilAsync(async () => (await cluster[next].Server.RangeAsync(Get("abandoned"))).Kvs.Count == 0,
            "the abandoned lease's key is still there");
        var afterExpiry = Interlocked.CompareExchange(ref renewals, 0, 0);
        // Two more renewals after the expiry: the kept lease lived on past when it would have expired unrenewed.
        await WaitUntilAsync(() => Task.FromResult(Interlocked.CompareExchange(ref renewals, 0, 0) >= afterExpiry + 2), "no renewals after the expiry");
        Assert.Single((await cluster[next].Server.RangeAsync(Get("kept"))).Kvs);
        await stop.CancelAsync();
        await keeper;

        // Every member applied the expiry at the same revision.
        await WaitUntilAsync(async () => (await cluster[follower].Server.RangeAsync(Get("abandoned", serializable: true))).Kvs.Count == 0
                                         && (await cluster[other].Server.RangeAsync(Get("abandoned", serializable: true))).Kvs.Count == 0,
            "a member still has the abandoned key");
        var lists = await Task.WhenAll(cluster.Up.Select(i => cluster[i].Server.LeaseLeasesAsync()));
        Assert.All(lists, l => Assert.Equal([kept.ID], l.Leases.Select(s => s.ID)));
        // Proposed once: one ExpiryProposed for the abandoned lease on the whole cluster, none for the kept one.
        Assert.Equal([abandoned.ID], expiries.Select(e => e.LeaseId));
        Assert.All(expiries, e => Assert.Equal(cluster[next].Server.MemberId, e.MemberId));
    }

    [Fact]
    public async Task A_checkpointed_long_lease_keeps_its_remaining_ttl_across_a_failover()
    {
        // Checkpoints every second instead of every five minutes, so the spec sees one within a few seconds.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { Lease = s.Lease with { CheckpointInterval = TimeSpan.FromSeconds(1) } });
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Up.First(i => i != leader);
        var lease = await cluster[leader].Server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });

        // Wait until a follower has applied a checkpoint of at most 57 s (3 s of the lease have passed).
        long checkpointed = 0;
        await WaitUntilAsync(async () => (checkpointed = await AppliedRemainingAsync(cluster[follower].System, lease.ID)) is > 0 and <= 57,
            "no checkpoint of the remaining TTL reached the follower");
        await cluster.CrashAsync(leader);
        var next = await cluster.LeaderAsync();

        var ttl = await cluster[next].Server.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID });
        output.WriteLine($"checkpointed {checkpointed} s; after the failover the new leader gives {ttl.TTL} s");
        // The new leader starts from the last checkpoint (+ an election timeout), not from the full 60 s.
        Assert.InRange(ttl.TTL, 1, checkpointed + 1);
        Assert.Equal(60, ttl.GrantedTTL);
    }

    private static async Task<long> AppliedRemainingAsync(ActorSystem system, long id)
    {
        var tcs = new TaskCompletionSource<MvccLeaseProtocol.LeaseView?>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorSelection("/user/etcd/mvcc").Tell(new MvccLeaseProtocol.GetLease(id, tcs));
        var view = await tcs.Task.WaitAsync(TimeSpan.FromSeconds(5));
        return view?.Lease?.RemainingTtl ?? 0;
    }

    private static void Listen(ActorSystem system, ConcurrentQueue<LeaseProtocol.ExpiryProposed> into)
    {
        var listener = system.ActorOf(Props.Create(() => new ExpiryListener(into)));
        system.EventStream.Subscribe(listener, typeof(LeaseProtocol.ExpiryProposed));
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private sealed class ExpiryListener : ReceiveActor
    {
        public ExpiryListener(ConcurrentQueue<LeaseProtocol.ExpiryProposed> into) => Receive<LeaseProtocol.ExpiryProposed>(into.Enqueue);
    }
}
