using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Lease;

/// <summary>
/// The leader renews a lease, or answers its TTL, only once its store has applied up to the commit index of the moment
/// (etcd 3.5's waitAppliedIndex): a lease granted through a follower may be renewed through it before the leader's
/// store has applied the grant, and the leader's lessor would answer "not found" (TTL 0) for a lease that exists.
/// </summary>
public sealed class LeaseApplyWaitSpecs : TestKit
{
    private const ulong Self = 1;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly ManualTime _time = new();
    private ulong _ids = 100;

    private static LeaseSettings Settings => LeaseSettings.Default with
    {
        LoopInterval = TimeSpan.FromMilliseconds(50), PromoteExtension = TimeSpan.Zero, ApplyWait = TimeSpan.FromSeconds(1),
    };

    private async Task<(IActorRef Lease, TestProbe Store, MemberStatus Status)> StartLeaderAsync()
    {
        var status = new MemberStatus();
        var store = CreateTestProbe();
        // The member table is not part of these specs; the lease table is told below without waiting for the question,
        // which a loop may ask again before the answer is handled.
        store.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccLeaseProtocol.GetLeaseTable);
        var raft = Sys.ActorOf(ConfirmingRaft.Props(TestActor));
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Self, 0xCC, Settings, () => raft, () => ++_ids, _time, status, store: () => store.Ref));
        // The store answers a new incarnation with the table (empty here).
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(true, []), store.Ref);
        status.SetLeader(Self, 2);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Self, 2));
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed));
        await listed.Task.WaitAsync(Wait);
        return (lease, store, status);
    }

    [Fact]
    public async Task The_leader_renews_a_lease_only_once_its_store_has_applied_up_to_the_commit_index()
    {
        var (lease, store, status) = await StartLeaderAsync();
        // The grant is committed at index 10 and handed to the store, which has not applied it yet.
        status.SetCommit(10);
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(5, renewed));
        var ttl = new TaskCompletionSource<LeaseTimeToLive?>();
        lease.Tell(new LeaseProtocol.TimeToLive(5, ttl));
        Assert.Equal(10UL, store.ExpectMsg<MvccLeaseProtocol.NotifyApplied>(Wait).Index);
        Assert.False(renewed.Task.IsCompleted, "renewed before the grant was applied");
        Assert.False(ttl.Task.IsCompleted, "answered before the grant was applied");

        // The store applies the batch: it tells the grant, then that it has applied up to 10.
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(5, 30, 0))]), store.Ref);
        lease.Tell(new MvccLeaseProtocol.AppliedUpTo(10), store.Ref);
        Assert.Equal(30, await renewed.Task.WaitAsync(Wait));
        Assert.Equal(30, (await ttl.Task.WaitAsync(Wait))?.GrantedTtl);

        // Applied already: answered at once.
        var again = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(5, again));
        Assert.Equal(30, await again.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task A_renewal_still_waiting_for_the_applied_index_after_a_second_fails_with_etcds_error()
    {
        var (lease, store, status) = await StartLeaderAsync();
        status.SetCommit(10);
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(5, renewed));
        store.ExpectMsg<MvccLeaseProtocol.NotifyApplied>(Wait); // handled: its deadline is set
        _time.Advance(TimeSpan.FromSeconds(1));
        var failed = await Assert.ThrowsAsync<EtcdException>(() => renewed.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.TimeoutWaitAppliedIndex, failed.Error);
    }

    [Fact]
    public async Task A_lease_table_question_left_unanswered_is_asked_again_at_the_next_loop()
    {
        var store = CreateTestProbe();
        store.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccLeaseProtocol.NotifyApplied);
        var raft = Sys.ActorOf(ConfirmingRaft.Props(TestActor));
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Self, 0xCC, Settings, () => raft, () => ++_ids, _time, new MemberStatus(), store: () => store.Ref));
        store.ExpectMsg<MvccLeaseProtocol.GetLeaseTable>(Wait); // lost: the store was restarting
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed)); // held until the table arrives
        store.ExpectMsg<MvccLeaseProtocol.GetLeaseTable>(Wait); // asked again at a loop
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(true, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(5, 30, 0))]), store.Ref);
        Assert.Equal([5L], await listed.Task.WaitAsync(Wait));
    }
}
