using System.Collections.Concurrent;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Cluster;

/// <summary>
/// What a process on the peer port can make a member do without being a member (docs/design.md, "Trust model of the
/// peer port"): make it campaign by hanging up an association it opened in our leader's name, or make it keep state
/// and send pings for every member id it makes up.
/// </summary>
public sealed class PeerPathSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_closed_inbound_link_claiming_the_leaders_address_does_not_make_a_follower_forget_its_leader()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var follower = (leader + 1) % 3;
        var system = (ExtendedActorSystem)cluster[follower].System;
        var followerId = cluster[follower].Server.MemberId;
        var local = system.Provider.DefaultAddress;
        var leaderAddress = Address.Parse(PeerDirectory.AddressOf(cluster.Settings(leader).AdvertisePeerUrls[0], local.Protocol));
        var leaderless = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = system.ActorOf(Props.Create(() => new LeaderlessWatcher(followerId, leaderless)));
        system.EventStream.Subscribe(watcher, typeof(RaftProtocol.LeaderChanged));

        // What Akka.Remote publishes when a connection the other side opened, with our leader's address in its
        // handshake, goes away: anyone who reaches the port can do that.
        system.EventStream.Publish(new DisassociatedEvent(local, leaderAddress, inbound: true));
        system.EventStream.Publish(new AssociationErrorEvent(new InvalidOperationException("forged"), local, leaderAddress, inbound: true, LogLevel.WarningLevel));
        // RaftActor handled both before answering the first query, and the Ready any of them asked for before the second.
        await using var stranger = PeerStranger.Start();
        await stranger.BarrierAsync(cluster.Settings(follower));
        await stranger.BarrierAsync(cluster.Settings(follower));
        await watcher.Ask<Done>(Done.Instance, TimeSpan.FromSeconds(10));
        Assert.False(leaderless.Task.IsCompleted, "the follower forgot its leader when a link it did not open closed");

        // Our own link to the leader closing is what counts (the faster failover).
        system.EventStream.Publish(new DisassociatedEvent(local, leaderAddress, inbound: false));
        await leaderless.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Pings_and_raft_messages_from_made_up_member_ids_leave_a_bounded_trace()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.LeaderAsync();
        var id = cluster[0].Server.MemberId;
        var cid = cluster[0].Server.ClusterId;
        await using var stranger = PeerStranger.Start();
        var pinged = new ConcurrentDictionary<ulong, int>();
        // Where a member answers a peer it learned from the ref it wrote from: that address's /user/etcd/peer.
        var door = stranger.System.ActorOf(Props.Create(() => new Door(pinged)), "etcd");
        var self = await door.Ask<IActorRef>(Door.WhoIsPeer.Instance, TimeSpan.FromSeconds(10));

        const int madeUp = 40;
        var gateway = stranger.At(cluster.Settings(0));
        for (var i = 1; i <= madeUp; i++)
        {
            var from = 0x5157_0000_0000_0000UL + (ulong)i;
            gateway.Tell(new PeerEnvelope { ClusterId = cid, To = id, From = from, Ping = new PeerPing { From = from } }, self);
            gateway.Tell(new PeerEnvelope { ClusterId = cid, To = id, From = from, Raft = new Message { Type = MessageType.MsgHeartbeat, From = from, To = id, Term = 1 } }, self);
        }
        await stranger.BarrierAsync(cluster.Settings(0));

        // The member pings every peer it knows every half election timeout: wait for three rounds' worth.
        await TestCluster.WaitUntilAsync(() => Task.FromResult(pinged.Values.Sum() >= 3 * PeerDirectory.MaxLearned),
            $"no pings reached the made-up members\n{cluster.Diagnostics()}");
        output.WriteLine($"pinged {pinged.Count} made-up ids: {string.Join(',', pinged.Select(kv => $"{kv.Key:x}x{kv.Value}"))}");
        Assert.InRange(pinged.Count, 1, PeerDirectory.MaxLearned);
        await cluster[0].Server.PutAsync(TestCluster.Put("still", "serves"));
    }

    private sealed class LeaderlessWatcher : ReceiveActor
    {
        public LeaderlessWatcher(ulong member, TaskCompletionSource leaderless)
        {
            Receive<RaftProtocol.LeaderChanged>(l =>
            {
                if (l.MemberId == member && l.Leader == 0) leaderless.TrySetResult();
            });
            Receive<Done>(_ => Sender.Tell(Done.Instance));
        }
    }

    /// <summary>/user/etcd of the stranger, with /user/etcd/peer counting the pings sent to each member id.</summary>
    private sealed class Door : ReceiveActor
    {
        public sealed class WhoIsPeer
        {
            public static readonly WhoIsPeer Instance = new();
        }

        public Door(ConcurrentDictionary<ulong, int> pinged)
        {
            var peer = Context.ActorOf(Props.Create(() => new Counter(pinged)), PeerDirectory.GatewayName);
            Receive<WhoIsPeer>(_ => Sender.Tell(peer));
        }
    }

    private sealed class Counter : ReceiveActor
    {
        public Counter(ConcurrentDictionary<ulong, int> pinged)
        {
            Receive<PeerEnvelope>(e =>
            {
                if (e.BodyCase == PeerEnvelope.BodyOneofCase.Ping) pinged.AddOrUpdate(e.To, 1, (_, n) => n + 1);
            });
            ReceiveAny(_ => { });
        }
    }
}
