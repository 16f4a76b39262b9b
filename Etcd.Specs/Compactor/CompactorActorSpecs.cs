using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Compactor;
using Etcd.Actors.Errors;
using Xunit;

namespace Etcd.Specs.Compactor;

/// <summary>
/// CompactorActor on Akka's TestScheduler: virtual time moves only when the spec advances it, one tick at a time,
/// after the actor said its turn is over (<see cref="CompactorProtocol.TurnEnded"/>), so no spec waits on wall time.
/// The member is a fake <see cref="ICompactionTarget"/> whose revision grows by 100 per read and which records the
/// compactions proposed to it.
/// </summary>
public sealed class CompactorActorSpecs() : TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private sealed class FakeMember : ICompactionTarget
    {
        private long _rev;
        public volatile bool Leader;
        public readonly ConcurrentQueue<long> Proposed = new();
        public Func<long, Exception?> Outcome = _ => null;

        public bool IsLeader => Leader;

        public Task<long> CurrentRevisionAsync(CancellationToken ct) => Task.FromResult(Interlocked.Add(ref _rev, 100));

        public Task CompactAsync(long revision, CancellationToken ct)
        {
            Proposed.Enqueue(revision);
            return Outcome(revision) is { } e ? Task.FromException(e) : Task.CompletedTask;
        }
    }

    private IActorRef Start(FakeMember member, string mode, string retention)
    {
        Sys.EventStream.Subscribe(TestActor, typeof(CompactorProtocol.TurnEnded));
        var settings = CompactorSettings.Create(ConfigurationFactory.ParseString($"etcd.auto-compaction-mode = {mode}\netcd.auto-compaction-retention = \"{retention}\""));
        var start = Scheduler.Now;
        var actor = Sys.ActorOf(CompactorActor.Props(settings, member, TimeSpan.FromSeconds(5), () => Scheduler.Now - start));
        ExpectMsg<CompactorProtocol.TurnEnded>(Wait); // the first sample is taken and the first tick armed
        return actor;
    }

    /// <summary>Moves virtual time by one interval and waits for the turn it triggers to end.</summary>
    private void Ticks(int n, TimeSpan interval)
    {
        for (var i = 0; i < n; i++)
        {
            Scheduler.Advance(interval);
            ExpectMsg<CompactorProtocol.TurnEnded>(Wait);
        }
    }

    [Fact]
    public void Periodic_proposes_once_per_period_and_only_while_leading()
    {
        var member = new FakeMember { Leader = true };
        Start(member, "periodic", "1h");
        var six = TimeSpan.FromMinutes(6);
        Ticks(9, six);
        Assert.Empty(member.Proposed); // the first hour only samples
        Ticks(1, six);
        Assert.Equal([100L], member.Proposed); // at 1h: the revision sampled at the start
        Ticks(10, six);
        Assert.Equal(2, member.Proposed.Count); // at 2h: one more, not one per tick
        Assert.Equal(1000, member.Proposed.Last()); // the revision sampled one hour and a tick before

        member.Leader = false;
        Ticks(30, six);
        Assert.Equal(2, member.Proposed.Count); // a follower proposes nothing
        member.Leader = true;
        Ticks(1, six);
        Assert.Equal(3, member.Proposed.Count); // leading again, overdue: at once
    }

    [Fact]
    public void A_follower_never_proposes()
    {
        var member = new FakeMember { Leader = false };
        Start(member, "revision", "10");
        Ticks(20, TimeSpan.FromMinutes(5));
        Assert.Empty(member.Proposed);
    }

    [Fact]
    public void Revision_mode_keeps_the_last_retention_revisions_every_five_minutes()
    {
        var member = new FakeMember { Leader = true };
        Start(member, "revision", "10");
        Scheduler.Advance(TimeSpan.FromMinutes(4));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // before 5 minutes nothing runs (virtual time: a short real window)
        Assert.Empty(member.Proposed);
        Scheduler.Advance(TimeSpan.FromMinutes(1));
        ExpectMsg<CompactorProtocol.TurnEnded>(Wait);
        Assert.Equal([190L], member.Proposed); // the read at the start was 100, this one 200
        Ticks(2, TimeSpan.FromMinutes(5));
        Assert.Equal([190L, 290L, 390L], member.Proposed);
    }

    [Fact]
    public void Already_compacted_counts_as_done_and_another_error_is_retried_at_the_next_tick()
    {
        var member = new FakeMember { Leader = true };
        var failures = 0;
        member.Outcome = rev => rev == 190 ? EtcdErrors.Compacted.ToException()
            : Interlocked.Increment(ref failures) <= 1 ? EtcdErrors.LeaderChanged.ToException() : null;
        Start(member, "revision", "10");
        Ticks(3, TimeSpan.FromMinutes(5));
        // 190 compacted already: done. 290 fails with "leader changed": the next tick tries its then current target.
        Assert.Equal([190L, 290L, 390L], member.Proposed);
    }
}
