using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Specs.Raft;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Lease.LeaseCalls;

namespace Etcd.Specs.Lease;

/// <summary>
/// The leader renews a lease only once a ReadIndex round issued after the keep-alive confirms it still leads (etcd
/// 3.5.8's ensureLeadership, etcd-io/etcd#15247). A leader whose journal write stalls processes no Ready meanwhile, so
/// it publishes no leader change while the other members may have elected a new leader; renewing then would tell a
/// client it holds a lease that the new leader may revoke.
/// </summary>
public sealed class LeaseLeadershipSpecs() : TestKit(RaftActorSpecs.TestJournalConfig, "lease-leadership-specs")
{
    private const ulong Member = 0x4C11;
    private readonly ManualTime _time = new();
    private ulong _ids = 100;

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));

    private static LeaseSettings Settings => LeaseSettings.Default with
    {
        LoopInterval = TimeSpan.FromMilliseconds(50), PromoteExtension = TimeSpan.Zero, LeadershipWait = TimeSpan.FromSeconds(3),
    };

    /// <summary>Holds the next journal write until released; later writes pass.</summary>
    private sealed class HeldWrite(TaskCompletionSource writing, Task release) : IJournalInterceptor
    {
        private int _held;

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Exchange(ref _held, 1) == 1) return;
            writing.TrySetResult();
            await release.ConfigureAwait(false);
        }
    }

    [Fact]
    public async Task A_leader_whose_journal_write_stalls_renews_no_lease_and_answers_not_leader()
    {
        await Journal.OnWrite.Pass();
        var status = new MemberStatus();
        var leaders = CreateTestProbe();
        Sys.EventStream.Subscribe(leaders.Ref, typeof(RaftProtocol.LeaderChanged));
        var store = Sys.ActorOf(ServingStore.Props());
        IActorRef? raft = null;
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Member, 0xCC, Settings, () => raft, () => ++_ids, _time, status, store: () => store));
        await BarrierAsync(lease);
        var waits = new WaitRegistry(1000);
        raft = Sys.ActorOf(RaftActor.Props(RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 },
            RaftMember.NewCluster(Member, [Member]), store, waits, status));
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == Member && l.Leader == Member, Wait);
        lease.Tell(Granted(5, 10));
        Assert.Equal(10, await KeepAliveAsync(lease, 5));

        // A proposal's journal write stalls (a disk that hangs): RaftActor processes no Ready until it ends.
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Journal.OnWrite.SetInterceptorAsync(new HeldWrite(writing, release.Task));
        waits.Register(42);
        raft.Tell(new RaftProtocol.Propose(42, ByteString.CopyFromUtf8("put")));
        await writing.Task.WaitAsync(Wait);
        try
        {
            var renewed = new TaskCompletionSource<long>();
            lease.Tell(new LeaseProtocol.KeepAlive(5, renewed));
            await BarrierAsync(lease);
            Assert.False(renewed.Task.IsCompleted, $"answered ({renewed.Task.Status}) while the journal write stalled");
            _time.Advance(Settings.LeadershipWait);
            var failed = await Assert.ThrowsAsync<EtcdException>(() => renewed.Task.WaitAsync(Wait));
            Assert.Equal(EtcdErrors.NotLeader, failed.Error);
        }
        finally
        {
            release.TrySetResult();
        }

        // Once the write is durable the (only) voter confirms it leads again and renews.
        Assert.Equal(10, await KeepAliveAsync(lease, 5));
    }

    [Fact]
    public async Task A_leader_proposes_an_expired_leases_revocation_only_once_a_round_confirms_it_still_leads()
    {
        // A Raft that answers no leadership round until the spec does (a leader whose journal write stalls).
        var raft = CreateTestProbe();
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Member, 0xCC, Settings, () => raft.Ref, () => ++_ids, _time));
        await BarrierAsync(lease);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Member, Member, 2));
        lease.Tell(Granted(5, 2));
        await BarrierAsync(lease);
        _time.Advance(TimeSpan.FromSeconds(3));

        // Lease 5 has expired: the loop first asks Raft to confirm leadership and proposes nothing meanwhile; unconfirmed,
        // the revocation is dropped (it could reach a new leader that renewed the lease meanwhile).
        var unconfirmed = raft.ExpectMsg<RaftProtocol.LinearizableRead>(Wait);
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // several loops: nothing proposed while the round is open
        unconfirmed.Read.Completion.TrySetException(EtcdErrors.NotLeader.ToException());
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // Offered again after the retry interval; confirmed this time, the revocation goes to Raft.
        _time.Advance(Settings.RetryRevoke);
        var confirmed = raft.ExpectMsg<RaftProtocol.LinearizableRead>(Wait);
        confirmed.Read.Completion.TrySetResult(new Etcd.Api.Etcdserverpb.RangeResponse());
        var propose = raft.ExpectMsg<RaftProtocol.Propose>(Wait);
        Assert.Equal(5, Etcd.Api.Etcdserverpb.InternalRaftRequest.Parser.ParseFrom(propose.Data).LeaseRevoke.ID);
    }

    [Fact]
    public async Task A_revocation_decided_before_a_lost_leadership_is_not_proposed_after_the_lease_got_a_fresh_life()
    {
        var raft = CreateTestProbe();
        var lease = Sys.ActorOf(LeaseManagerActor.Props(Member, 0xCC, Settings, () => raft.Ref, () => ++_ids, _time));
        await BarrierAsync(lease);
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Member, Member, 2));
        lease.Tell(Granted(5, 2));
        lease.Tell(Granted(6, 60));
        await BarrierAsync(lease);

        // A keep-alive opens a round that stays unanswered; lease 5 expires meanwhile and its revocation waits for the next round.
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(6, renewed));
        var first = raft.ExpectMsg<RaftProtocol.LinearizableRead>(Wait);
        _time.Advance(TimeSpan.FromMilliseconds(2500)); // past lease 5's TTL, short of the round's 3 s deadline
        await BarrierAsync(lease);
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // a loop or more: the revocation is queued behind the open round

        // Deposed, then leading again at term 4: the promotion gives lease 5 a fresh life (2 s from now).
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Member, 7, 3));
        Sys.EventStream.Publish(new RaftProtocol.LeaderChanged(Member, Member, 4));
        await BarrierAsync(lease);
        first.Read.Completion.TrySetException(EtcdErrors.NotLeader.ToException());
        // The next round carries the old revocation; confirmed at term 4, it proposes nothing: lease 5 is not expired now.
        var second = raft.ExpectMsg<RaftProtocol.LinearizableRead>(Wait);
        second.Read.Completion.TrySetResult(new Etcd.Api.Etcdserverpb.RangeResponse());
        // The round's answer is piped back to the lease manager; no time passes here, so nothing is expired meanwhile.
        raft.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // Expired again 2 s later: proposed then (by the next round, or by the last one if its answer is handled only
        // after the loop saw the lease expire), bound to term 4.
        _time.Advance(TimeSpan.FromSeconds(3));
        RaftProtocol.Propose? propose = null;
        for (var i = 0; i < 3 && propose is null; i++)
        {
            switch (raft.ReceiveOne(Wait))
            {
                case RaftProtocol.LinearizableRead r:
                    r.Read.Completion.TrySetResult(new Etcd.Api.Etcdserverpb.RangeResponse());
                    break;
                case RaftProtocol.Propose p:
                    propose = p;
                    break;
            }
        }
        Assert.NotNull(propose);
        Assert.Equal(5, Etcd.Api.Etcdserverpb.InternalRaftRequest.Parser.ParseFrom(propose.Data).LeaseRevoke.ID);
        Assert.Equal(4UL, propose.LeaderTerm);
    }
}
