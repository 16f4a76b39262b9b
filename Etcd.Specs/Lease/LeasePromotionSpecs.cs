using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Lease;

/// <summary>
/// A new leader's lessor becomes primary only once its store has applied the leader's first entry of the term
/// (LeaseManagerActor.Promotion.cs; etcd promotes when it applies that entry): a lease granted by the previous leader and
/// committed, but not yet applied here, must not be renewed as "not found" (TTL 0).
/// </summary>
public sealed class LeasePromotionSpecs : TestKit
{
    private const ulong Self = 1;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly ManualTime _time = new();
    private ulong _ids = 100;

    // No loop runs during a spec: promotion must follow from the store's answer itself, not from a later loop.
    private static LeaseSettings Settings => LeaseSettings.Default with
    {
        LoopInterval = TimeSpan.FromHours(1), PromoteExtension = TimeSpan.Zero,
    };

    private (IActorRef Lease, TestProbe Store, MemberStatus Status) Start()
    {
        var status = new MemberStatus();
        var store = CreateTestProbe();
        // The lease table is told without waiting for the question (a loop may ask again before the answer is handled).
        store.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccLeaseProtocol.GetLeaseTable);
        var raft = Sys.ActorOf(ConfirmingRaft.Props(TestActor));
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Self, 0xCC, Settings, () => raft, () => ++_ids, _time, status, store: () => store.Ref));
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(true, []), store.Ref);
        return (lease, store, status);
    }

    private void Lead(MemberStatus status, ulong term, ulong leadStart)
    {
        status.SetLeader(Self, term, leadStart);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Self, Self, term, leadStart));
    }

    /// <summary>The store's NotifyApplied for <paramref name="index"/>, skipping earlier questions (asked again at each loop).</summary>
    private static void ExpectAsked(TestProbe store, ulong index) =>
        store.FishForMessage(m => m is MvccLeaseProtocol.NotifyApplied n && n.Index == index, Wait);

    [Fact]
    public async Task A_new_leader_renews_a_lease_its_predecessor_granted_only_once_its_store_has_applied_up_to_its_first_entry()
    {
        var (lease, store, status) = Start();
        // Elected at term 3; its empty entry is index 12. The previous leader's grant of lease 5 (index 11) is committed
        // with it but not applied here yet.
        Lead(status, 3, 12);
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(5, renewed));
        var ttl = new TaskCompletionSource<LeaseTimeToLive?>();
        lease.Tell(new LeaseProtocol.TimeToLive(5, ttl));
        // A question the lease manager answers only after both above (it handles its mailbox in order).
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed));
        Assert.Empty(await listed.Task.WaitAsync(Wait));
        Assert.False(renewed.Task.IsCompleted, "renewed before the previous term's entries were applied (a TTL 0 answer: 'not found')");
        Assert.False(ttl.Task.IsCompleted, "TTL answered before the previous term's entries were applied");
        ExpectAsked(store, 12);

        // The store applies up to the leader's empty entry: the grant first, then that it has applied up to 12.
        lease.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(5, 30, 0))]), store.Ref);
        lease.Tell(new MvccLeaseProtocol.AppliedUpTo(12), store.Ref);
        Assert.Equal(30, await renewed.Task.WaitAsync(Wait));
        Assert.Equal(30, (await ttl.Task.WaitAsync(Wait))?.GrantedTtl);
    }

    [Fact]
    public async Task A_leader_elected_again_in_a_later_term_waits_for_that_terms_first_entry()
    {
        var (lease, store, status) = Start();
        Lead(status, 2, 1);
        lease.Tell(new MvccLeaseProtocol.AppliedUpTo(1), store.Ref);
        var first = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, first));
        Assert.Equal(0, await first.Task.WaitAsync(Wait)); // primary at term 2: lease 7 does not exist

        // Leader again at term 4, with no change in between seen here (a lease manager catching up from the shared
        // status at a loop sees only the latest); term 3's leader granted lease 7 at index 19, not applied here yet;
        // this leadership's first entry is 20.
        Lead(status, 4, 20);
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(7, renewed));
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed));
        await listed.Task.WaitAsync(Wait);
        Assert.False(renewed.Task.IsCompleted, "renewed before term 3's entries were applied");
        ExpectAsked(store, 20);

        lease.Tell(new MvccLeaseProtocol.LeasesApplied(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(7, 40, 0))]), store.Ref);
        lease.Tell(new MvccLeaseProtocol.AppliedUpTo(20), store.Ref);
        Assert.Equal(40, await renewed.Task.WaitAsync(Wait));
    }
}
