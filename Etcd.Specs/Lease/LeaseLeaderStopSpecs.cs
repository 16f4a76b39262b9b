using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Specs.Raft;
using Xunit;
using static Etcd.Specs.Lease.LeaseCalls;

namespace Etcd.Specs.Lease;

/// <summary>
/// A leader whose RaftActor stopped must not go on renewing leases: with no Raft behind it, it can neither revoke
/// them nor know that another member leads now (etcd-io/etcd#15247). The lease manager stops being primary, and a
/// keep-alive waits for a leader and fails with etcd's "no leader" instead of being renewed.
/// </summary>
public sealed class LeaseLeaderStopSpecs() : TestKit(RaftActorSpecs.TestJournalConfig, "lease-leader-stop-specs")
{
    private const ulong Member = 0x4C01;
    private readonly ManualTime _time = new();
    private ulong _ids = 100;

    private static LeaseSettings Settings => LeaseSettings.Default with
    {
        LoopInterval = TimeSpan.FromMilliseconds(50), PromoteExtension = TimeSpan.Zero, ForwardTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A keep-alive told now is not renewed; once the forward timeout passes it fails with "no leader".</summary>
    private async Task AssertNotRenewedAsync(IActorRef lease, long id)
    {
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(id, renewed));
        await BarrierAsync(lease);
        Assert.False(renewed.Task.IsCompleted, $"renewed with TTL {(renewed.Task.IsCompletedSuccessfully ? renewed.Task.Result : -1)}");
        _time.Advance(Settings.ForwardTimeout);
        var failed = await Assert.ThrowsAsync<EtcdException>(() => renewed.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.NoLeader, failed.Error);
    }

    [Fact]
    public async Task A_single_member_leader_whose_raft_actor_stopped_renews_nothing_and_answers_no_leader()
    {
        var status = new MemberStatus();
        var leaders = CreateTestProbe();
        Sys.EventStream.Subscribe(leaders.Ref, typeof(RaftProtocol.LeaderChanged));
        IActorRef? raft = null;
        // The ref stays set after the stop (as a guardian's would until it hears Terminated): only the stop's notice counts.
        // A store that has applied whatever is asked (the leader waits for its applied index before renewing) and
        // serves the read by which the leader confirms it leads; RaftActor's store too.
        var store = Sys.ActorOf(ServingStore.Props());
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Member, 0xCC, Settings, () => raft, () => ++_ids, _time, status, store: () => store));
        await BarrierAsync(lease); // the (empty) table is in
        raft = Sys.ActorOf(RaftActor.Props(RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 }, RaftMember.NewCluster(Member, [Member]), store, new WaitRegistry(1000), status));
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == Member && l.Leader == Member, Wait);
        lease.Tell(Granted(5, 10));
        Assert.Equal(10, await KeepAliveAsync(lease, 5));

        Watch(raft);
        Sys.Stop(raft);
        ExpectTerminated(raft, Wait);
        Assert.Equal(0UL, status.Leader);
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == Member && l.Leader == 0, Wait);

        await AssertNotRenewedAsync(lease, 5);
    }

    [Fact]
    public async Task A_lease_manager_whose_raft_ref_is_gone_is_not_primary_even_if_the_status_says_it_leads()
    {
        IActorRef? raft = Sys.ActorOf(ConfirmingRaft.Props(CreateTestProbe().Ref));
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Member, 0xCC, Settings, () => raft, () => ++_ids, _time));
        await BarrierAsync(lease);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Member, Member, 2));
        lease.Tell(Granted(5, 10));
        Assert.Equal(10, await KeepAliveAsync(lease, 5));

        // RaftActor is down (the guardian cleared the ref) and no notice came: nothing is renewed.
        raft = null;
        await AssertNotRenewedAsync(lease, 5);
    }
}
