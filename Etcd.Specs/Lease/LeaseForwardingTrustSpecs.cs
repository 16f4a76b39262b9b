using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Lease.LeaseCalls;

namespace Etcd.Specs.Lease;

/// <summary>
/// The peer side of forwarded keep-alives (docs/design.md, "Trust model of the peer port"): two ActorSystems named
/// as members are (member 1 here, member 2 in <see cref="_other"/>), each with a relay at the gateway's path, so what
/// a lease manager sends to a member's gateway is seen. Request numbers start at a random value per incarnation; an
/// answer counts only for its lease; the leader answers only current members, at their member-table address.
/// </summary>
public sealed class LeaseForwardingTrustSpecs : TestKit
{
    private const ulong Self = 1, Other = 2, Removed = 3, Stranger = 4, Cluster = 0xCC;
    private readonly ITestOutputHelper _output;
    private readonly ManualTime _time = new();
    private readonly ActorSystem _other;
    private readonly TestProbe _mine;   // what reaches member 1's gateway
    private readonly TestProbe _theirs; // what reaches member 2's gateway
    private readonly int _selfPort;
    private readonly int _otherPort;
    private ulong _ids = 100;

    public LeaseForwardingTrustSpecs(ITestOutputHelper output) : this(output, FreePort.Next())
    {
    }

    private LeaseForwardingTrustSpecs(ITestOutputHelper output, int port) : base(Remote(port), PeerDirectory.SystemName)
    {
        _output = output;
        _selfPort = port;
        _otherPort = FreePort.Next();
        _other = ActorSystem.Create(PeerDirectory.SystemName, Remote(_otherPort));
        _mine = CreateTestProbe();
        _theirs = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new EtcdParent(_mine.Ref)), "etcd");
        _other.ActorOf(Props.Create(() => new EtcdParent(_theirs.Ref)), "etcd");
    }

    private static Config Remote(int port) => ConfigurationFactory.ParseString($$"""
        akka.actor.provider = remote
        akka.loglevel = WARNING
        akka.remote.dot-netty.tcp {
          hostname = "127.0.0.1"
          port = {{port}}
        }
        """).WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _other.Terminate().Wait(TimeSpan.FromSeconds(30));
        base.Dispose(disposing);
    }

    /// <summary>/user/etcd with the gateway's child: everything a member's gateway receives goes to the probe.</summary>
    private sealed class EtcdParent : ReceiveActor
    {
        public EtcdParent(IActorRef probe) => Context.ActorOf(Props.Create(() => new Relay(probe)), PeerDirectory.GatewayName);
    }

    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef probe) => ReceiveAny(m => probe.Forward(m));
    }

    private static LeaseSettings Settings => LeaseSettings.Default with { LoopInterval = TimeSpan.FromMilliseconds(50), PromoteExtension = TimeSpan.Zero };

    private MvccProtocol.MembersChanged Members()
    {
        Member At(ulong id, int port)
        {
            var m = new Member { ID = id };
            m.PeerURLs.Add($"http://127.0.0.1:{port}");
            return m;
        }
        return new MvccProtocol.MembersChanged([At(Self, _selfPort), At(Other, _otherPort)], [Removed]);
    }

    /// <param name="confirm">Whether Raft confirms leadership at once (false: never, so renewals pile up).</param>
    private async Task<IActorRef> StartAsync(string name, int seed, ulong leader, LeaseSettings? settings = null, bool confirm = true)
    {
        _output.WriteLine($"{name}: seed {seed}");
        var raft = confirm ? Sys.ActorOf(ConfirmingRaft.Props(TestActor)) : CreateTestProbe().Ref;
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Self, Cluster, settings ?? Settings, () => raft, () => ++_ids, _time, random: new Random(seed)), name);
        await BarrierAsync(lease);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, leader, 2));
        lease.Tell(Members());
        return lease;
    }

    private static PeerEnvelope Answer(ulong seq, long leaseId, long ttl) =>
        new() { ClusterId = Cluster, To = Self, From = Other, LeaseAnswer = new LeaseForwardAnswer { Seq = seq, LeaseID = leaseId, Found = true, Ttl = ttl } };

    private static PeerEnvelope Forward(ulong from, ulong seq, long leaseId) =>
        new() { ClusterId = Cluster, To = Self, From = from, LeaseForward = new LeaseForward { Seq = seq, LeaseID = leaseId } };

    /// <summary>A follower's keep-alive, and the forwarded request member 2's gateway receives for it.</summary>
    private (TaskCompletionSource<long> Renewed, LeaseForward Sent) KeepAlive(IActorRef lease, long id)
    {
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(id, renewed));
        var sent = _theirs.ExpectMsg<PeerEnvelope>(Wait);
        Assert.Equal((Cluster, Other, Self, id), (sent.ClusterId, sent.To, sent.From, sent.LeaseForward.LeaseID));
        return (renewed, sent.LeaseForward);
    }

    [Fact]
    public async Task A_restarted_follower_does_not_take_an_answer_meant_for_its_previous_incarnation()
    {
        var seed = Random.Shared.Next();
        var first = await StartAsync("lease-1", seed, Other);
        var (_, before) = KeepAlive(first, 7);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first, Wait);

        var second = await StartAsync("lease-2", seed + 1, Other);
        var (renewed, sent) = KeepAlive(second, 7);
        _output.WriteLine($"numbers: {before.Seq:x16} then {sent.Seq:x16}");
        Assert.NotEqual(before.Seq, sent.Seq);
        // The leader's late answer to the first incarnation's request (same lease) reaches the second one.
        second.Tell(Answer(before.Seq, 7, 30));
        await BarrierAsync(second);
        Assert.False(renewed.Task.IsCompleted);
        second.Tell(Answer(sent.Seq, 7, 40));
        Assert.Equal(40, await renewed.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task An_answer_about_another_lease_is_not_taken()
    {
        var follower = await StartAsync("lease", Random.Shared.Next(), Other);
        var (renewed, sent) = KeepAlive(follower, 7);
        follower.Tell(Answer(sent.Seq, 8, 30));
        await BarrierAsync(follower);
        Assert.False(renewed.Task.IsCompleted);
        follower.Tell(Answer(sent.Seq, 7, 40));
        Assert.Equal(40, await renewed.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task The_leader_answers_only_current_members_and_at_their_member_table_address()
    {
        var leader = await StartAsync("lease", Random.Shared.Next(), Self);
        leader.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(5, 10, 0))]));
        // From member 2's address: a removed member, a stranger, then member 2 itself. Whoever writes from there, the
        // only answer that address may get is member 2's.
        var path = $"akka.tcp://{PeerDirectory.SystemName}@127.0.0.1:{_selfPort}/user/lease";
        var remote = ((ExtendedActorSystem)_other).Provider.ResolveActorRef(path);
        var sender = ((ExtendedActorSystem)_other).Provider.ResolveActorRef($"akka.tcp://{PeerDirectory.SystemName}@127.0.0.1:{_otherPort}{PeerDirectory.RaftPath}");
        remote.Tell(Forward(Removed, 11, 5), sender);
        remote.Tell(Forward(Stranger, 12, 5), sender);
        remote.Tell(Forward(Other, 13, 5), sender);
        var answer = _theirs.ExpectMsg<PeerEnvelope>(Wait);
        Assert.Equal((Cluster, Other, Self), (answer.ClusterId, answer.To, answer.From));
        Assert.Equal((13UL, 5L, 10L), (answer.LeaseAnswer.Seq, answer.LeaseAnswer.LeaseID, answer.LeaseAnswer.Ttl));

        // Member 2's request written from member 1's own system (no address of member 2): the answer still goes to the
        // address the member table gives member 2, not back where the request came from.
        leader.Tell(Forward(Other, 14, 5), TestActor);
        answer = _theirs.ExpectMsg<PeerEnvelope>(Wait);
        Assert.Equal((14UL, 5L), (answer.LeaseAnswer.Seq, answer.LeaseAnswer.LeaseID));
        _mine.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // nothing went to member 1's own gateway
    }

    [Fact]
    public async Task Forwarded_requests_from_a_stranger_make_the_leader_ask_for_the_member_table_at_most_once_per_loop()
    {
        // No loop during the spec: only the requests could make the leader ask.
        var leader = await StartAsync("lease", Random.Shared.Next(), Self, Settings with { LoopInterval = TimeSpan.FromMinutes(10) });
        var store = CreateTestProbe();
        // The store announces its table; the lease manager asks it for the member table then.
        leader.Tell(new MvccLeaseProtocol.LeasesApplied(true, []), store.Ref);
        store.ExpectMsg<MvccProtocol.GetMembers>(Wait);
        leader.Tell(Members());
        for (ulong seq = 31; seq < 36; seq++)
        {
            leader.Tell(Forward(Stranger, seq, 5), TestActor);
            leader.Tell(Members()); // the store's answer to whatever was asked
        }
        await BarrierAsync(leader);
        // Every message above has been handled, so anything asked is in the probe's queue already.
        store.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Forwarded_requests_from_one_member_leave_room_for_local_keep_alives()
    {
        // Raft never confirms leadership here: every renewal waits, so they pile up against the bounds.
        var settings = Settings with { MaxForwardsInFlight = 4, MaxForwardedPerMember = 2 };
        var leader = await StartAsync("lease", Random.Shared.Next(), Self, settings, confirm: false);
        leader.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(5, 10, 0))]));
        for (ulong seq = 21; seq <= 24; seq++) leader.Tell(Forward(Other, seq, 5), TestActor);
        // Beyond its share member 2 hears "not leader" (it asks again at its next loop)...
        foreach (var seq in new ulong[] { 23, 24 })
        {
            var refused = _theirs.ExpectMsg<PeerEnvelope>(Wait);
            Assert.Equal((seq, true), (refused.LeaseAnswer.Seq, refused.LeaseAnswer.NotLeader));
        }
        // ...and a local keep-alive still has room: it waits for the leadership round instead of "too many requests".
        var renewed = new TaskCompletionSource<long>();
        leader.Tell(new LeaseProtocol.KeepAlive(5, renewed));
        await BarrierAsync(leader);
        Assert.False(renewed.Task.IsCompleted, $"answered: {renewed.Task.Status} {renewed.Task.Exception?.InnerException?.Message}");
    }
}
