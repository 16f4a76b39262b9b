using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Xunit;
using static Etcd.Specs.Lease.LeaseCalls;

namespace Etcd.Specs.Lease;

/// <summary>
/// LeaseManagerActor on its own, with a hand-moved clock and a probe for RaftActor: it proposes an expiry only while
/// leading, once; a follower's forwarded requests are bounded in number and fail after the timeout.
/// </summary>
public sealed class LeaseManagerActorSpecs : TestKit
{
    private const ulong Self = 1, Other = 2;
    private readonly ManualTime _time = new();
    private ulong _ids = 100;

    /// <summary>Started and subscribed to LeaderChanged (a round trip: its constructor has run).</summary>
    private async Task<IActorRef> StartAsync(IActorRef target, LeaseSettings settings)
    {
        // The leader confirms it leads before each renewal (a linearizable read): answered at once here.
        var raft = Sys.ActorOf(ConfirmingRaft.Props(target));
        // Numbers from 1, so that the specs can answer them (in production they start at a random value).
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Self, 0xCC, settings, () => raft, () => ++_ids, _time, random: new FromZero()));
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed));
        await listed.Task.WaitAsync(Wait);
        return lease;
    }

    private sealed class FromZero : Random
    {
        public override long NextInt64() => 0;
    }

    private static LeaseSettings Settings => LeaseSettings.Default with { LoopInterval = TimeSpan.FromMilliseconds(50), PromoteExtension = TimeSpan.Zero };

    [Fact]
    public async Task The_leader_proposes_an_expired_leases_revocation_once_and_a_follower_never()
    {
        var raft = CreateTestProbe();
        var lease = await StartAsync(raft, Settings);
        lease.Tell(Granted(5, 2));
        // A follower: time passes, nothing is proposed.
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Other, 2));
        _time.Advance(TimeSpan.FromSeconds(10));
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // a window to show nothing happens (several loops)

        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Self, 3));
        // Promoted: the lease lives 2 s from now.
        var ttl = new TaskCompletionSource<LeaseTimeToLive?>();
        lease.Tell(new LeaseProtocol.TimeToLive(5, ttl));
        Assert.Equal(new LeaseTimeToLive(2, 2), await ttl.Task.WaitAsync(Wait));
        _time.Advance(TimeSpan.FromSeconds(2));
        var propose = raft.ExpectMsg<RaftProtocol.Propose>(Wait);
        var request = InternalRaftRequest.Parser.ParseFrom(propose.Data);
        Assert.Equal(5, request.LeaseRevoke.ID);
        Assert.Equal(propose.Id, request.ID);
        // Not again within the retry interval, however many loops run.
        _time.Advance(TimeSpan.FromSeconds(2));
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        // The revocation applied: never again.
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Revoked, new LeaseRecord(5, 2, 0))]));
        _time.Advance(TimeSpan.FromSeconds(10));
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Forwarded_keep_alives_are_bounded_and_fail_after_the_timeout()
    {
        var raft = CreateTestProbe();
        var lease = await StartAsync(raft, Settings with { MaxForwardsInFlight = 2, ForwardTimeout = TimeSpan.FromSeconds(5) });
        // A follower whose leader's address it cannot resolve (no store to ask): forwards wait, bounded.
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Other, 2));
        var waiting = new[] { new TaskCompletionSource<long>(), new TaskCompletionSource<long>() };
        foreach (var w in waiting) lease.Tell(new LeaseProtocol.KeepAlive(7, w));
        var third = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, third));
        var refused = await Assert.ThrowsAsync<EtcdException>(() => third.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.TooManyRequests, refused.Error);
        Assert.All(waiting, w => Assert.False(w.Task.IsCompleted));

        _time.Advance(TimeSpan.FromSeconds(5));
        foreach (var w in waiting)
            Assert.Equal(EtcdErrors.Timeout, (await Assert.ThrowsAsync<EtcdException>(() => w.Task.WaitAsync(Wait))).Error);
        // Room again.
        var next = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, next));
        // Becoming the leader serves it here: the lease is unknown, so TTL 0.
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Self, 3));
        Assert.Equal(0, await next.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task A_forwarded_keep_alive_takes_only_its_own_answer_from_the_member_it_asked()
    {
        var raft = CreateTestProbe();
        var lease = await StartAsync(raft, Settings);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Other, 2));
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, renewed));
        // The member table gives the leader's address: the keep-alive goes out as sequence number 1.
        var leader = new Member { ID = Other };
        leader.PeerURLs.Add("http://127.0.0.1:1");
        lease.Tell(new MvccProtocol.MembersChanged([leader], []));

        PeerEnvelope Answer(ulong cluster, ulong to, ulong from, ulong seq) =>
            new() { ClusterId = cluster, To = to, From = from, LeaseAnswer = new LeaseForwardAnswer { Seq = seq, LeaseID = 7, Found = true, Ttl = 30 } };
        lease.Tell(Answer(0xDD, Self, Other, 1));   // another cluster
        lease.Tell(Answer(0xCC, 9, Other, 1));      // for another member
        lease.Tell(Answer(0xCC, Self, 3, 1));       // from a member it did not ask
        lease.Tell(Answer(0xCC, Self, Self, 1));    // claiming to be this member
        lease.Tell(Answer(0xCC, Self, Other, 99));  // a number it has not outstanding
        var barrier = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(barrier));
        await barrier.Task.WaitAsync(Wait);
        Assert.False(renewed.Task.IsCompleted);

        lease.Tell(Answer(0xCC, Self, Other, 1));
        Assert.Equal(30, await renewed.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task A_keep_alive_refused_by_a_leader_not_yet_promoted_is_sent_again()
    {
        var raft = CreateTestProbe();
        var lease = await StartAsync(raft, Settings);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Other, 2));
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, renewed));
        var leader = new Member { ID = Other };
        leader.PeerURLs.Add("http://127.0.0.1:1");
        lease.Tell(new MvccProtocol.MembersChanged([leader], []));
        // The new leader answers before it has promoted its lessor: "not leader".
        lease.Tell(new PeerEnvelope { ClusterId = 0xCC, To = Self, From = Other, LeaseAnswer = new LeaseForwardAnswer { Seq = 1, LeaseID = 7, NotLeader = true } });
        // Its answer to the request sent again (at the next 50 ms loop) counts; before that it would be dropped, so
        // the spec answers until the keep-alive completes (bounded).
        var deadline = DateTime.UtcNow + Wait;
        while (!renewed.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            lease.Tell(new PeerEnvelope { ClusterId = 0xCC, To = Self, From = Other, LeaseAnswer = new LeaseForwardAnswer { Seq = 1, LeaseID = 7, Found = true, Ttl = 30 } });
            await Task.WhenAny(renewed.Task, Task.Delay(50));
        }
        Assert.Equal(30, await renewed.Task.WaitAsync(TimeSpan.Zero));
    }
}
