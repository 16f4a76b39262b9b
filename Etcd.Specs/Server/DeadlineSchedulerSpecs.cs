using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Etcd.Actors.Scheduling;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// A member's Akka scheduler (Etcd.Actors/Scheduling/DeadlineScheduler.cs) wakes only when a registration is due:
/// nothing at rest, once per due time, where Akka's wheel ticked every 10 ms (docs/benchmarks.md, "Idle CPU and put
/// 1/1"). What the members rely on still holds: registrations run no earlier than their deadline (within a millisecond) and
/// in deadline order, equal deadlines in the order scheduled,
/// a repeating one (the Raft tick, RaftActor.Recovery.cs) keeps its rate without bursts, a cancelled one never runs,
/// and what is pending when the system terminates runs once, as with Akka's scheduler; cancelled registrations are
/// swept instead of held until their deadline.
/// </summary>
public sealed class DeadlineSchedulerSpecs
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static DeadlineScheduler NewScheduler() =>
        new(EtcdNode.BuildConfig(EtcdServerSettings.Default), NoLogger.Instance);

    [Fact]
    public async Task A_member_actor_system_runs_on_the_deadline_scheduler_and_delivers_scheduled_messages()
    {
        // The member's own configuration, without Akka.Remote (a local provider binds no port).
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local")
            .WithFallback(EtcdNode.BuildConfig(EtcdServerSettings.Default));
        var system = ActorSystem.Create("scheduler-spec", config);
        try
        {
            Assert.IsType<DeadlineScheduler>(system.Scheduler);
            var inbox = Inbox.Create(system);
            var started = Stopwatch.StartNew();
            system.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(100), inbox.Receiver, "tick", ActorRefs.NoSender);
            Assert.Equal("tick", await inbox.ReceiveAsync(Bound));
            Assert.True(started.ElapsedMilliseconds >= 99, $"arrived after {started.ElapsedMilliseconds} ms, before its 100 ms");
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task At_rest_it_does_not_wake_and_a_far_registration_costs_no_wake_up_until_it_is_due()
    {
        using var scheduler = NewScheduler();
        var far = 0;
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => Interlocked.Increment(ref far));
        var near = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(300), () => near.SetResult());

        await near.Task.WaitAsync(Bound);

        // One wake-up for the 300 ms registration (the wheel would have ticked ~30 times by now), none for the far one;
        // the runtime's millisecond timer may fire a little before the deadline's slack, which costs one more (seen in CI).
        Assert.InRange(scheduler.WakeUps, 1, 2);
        Assert.Equal(0, far);
        Assert.Equal(1, scheduler.Pending);
    }

    [Fact]
    public async Task An_earlier_registration_added_after_a_later_one_runs_at_its_own_deadline()
    {
        using var scheduler = NewScheduler();
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(5), () => { });
        var started = Stopwatch.StartNew();
        var ran = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(50), () => ran.SetResult(started.ElapsedMilliseconds));

        var at = await ran.Task.WaitAsync(Bound);

        Assert.True(at >= 49, $"ran after {at} ms, before its 50 ms");
    }

    [Fact]
    public async Task Registrations_run_in_deadline_order_whatever_order_they_were_added_in()
    {
        using var scheduler = NewScheduler();
        var order = new ConcurrentQueue<int>();
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Each deadline is counted from one start, not from its own Add: a delay counts from the moment it is added, so
        // a spec thread stalled between two adds (40 ms apart, they were flipped on a loaded 2-core box: [80, 40, 120,
        // 200, 160]) would itself change the deadline order it then checks. Only a stall of more than the 100 ms spacing
        // inside one ScheduleOnce call, or of the 300 ms lead over the five adds, could still reorder them.
        var start = Stopwatch.StartNew();
        foreach (var ms in new[] { 500, 200, 400, 100, 300 })
            ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(300 + ms) - start.Elapsed, () =>
            {
                order.Enqueue(ms);
                if (ms == 500) last.SetResult();
            });

        await last.Task.WaitAsync(Bound);

        Assert.Equal([100, 200, 300, 400, 500], order.ToArray());
    }

    [Fact]
    public async Task A_repeating_registration_keeps_its_rate_with_one_wake_up_per_run_and_never_bursts()
    {
        using var scheduler = NewScheduler();
        const int runs = 20;
        var interval = TimeSpan.FromMilliseconds(50);
        var times = new ConcurrentQueue<long>();
        // The wake-ups counted at the last run, inside it: the spec's own continuation may run late on a busy box, and
        // every run until it cancels costs one more wake-up that this bound is not about.
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        var cancel = new Cancelable((IScheduler)scheduler);
        ((IScheduler)scheduler).Advanced.ScheduleRepeatedly(interval, interval, () =>
        {
            times.Enqueue(clock.ElapsedTicks * 1000 / Stopwatch.Frequency);
            if (times.Count == runs) done.TrySetResult(scheduler.WakeUps);
        }, cancel);

        var wakeUps = await done.Task.WaitAsync(Bound);
        cancel.Cancel();

        var at = times.ToArray();
        // Run k (from 1) comes no earlier than k intervals after the start: late runs are not made up in a burst.
        for (var k = 1; k <= runs; k++)
            Assert.True(at[k - 1] >= k * 50 - 1, $"run {k} at {at[k - 1]} ms, before {k * 50} ms ({string.Join(", ", at)})");
        // One wake-up per run (a stalled timer may cover two runs with one). The runtime's millisecond timer now and then
        // fires a little more than the scheduler's slack before a deadline, and that wake-up re-arms for the remainder
        // (the at-rest spec above allows one; CI saw 22 for 20 runs once): a few such, never one per run. Akka's wheel
        // at its 10 ms tick would wake ~5 times per 50 ms run, ~100 here.
        Assert.True(wakeUps <= runs + 3, $"{wakeUps} wake-ups for {runs} runs");
    }

    [Fact]
    public async Task A_cancelled_registration_never_runs_and_a_cancelled_repeating_one_stops()
    {
        using var scheduler = NewScheduler();
        var once = 0;
        var onceCancel = new Cancelable((IScheduler)scheduler);
        // Due in 200 ms, not sooner: it is cancelled on the next line, and a spec thread stalled past its deadline
        // between the two would see it run for a reason that is not the scheduler's. The sentinel below is still later.
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(200), () => Interlocked.Increment(ref once), onceCancel);
        onceCancel.Cancel();

        var repeats = 0;
        var repeatCancel = new Cancelable((IScheduler)scheduler);
        var thrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleRepeatedly(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20), () =>
        {
            if (Interlocked.Increment(ref repeats) == 3)
            {
                repeatCancel.Cancel();
                thrice.SetResult();
            }
        }, repeatCancel);
        await thrice.Task.WaitAsync(Bound);

        // A registration due after both: once it ran, the cancelled ones had every chance to run.
        var sentinel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(200), () => sentinel.SetResult());
        await sentinel.Task.WaitAsync(Bound);

        Assert.Equal(0, once);
        Assert.Equal(3, repeats);
        Assert.Equal(0, scheduler.Pending);
    }

    [Fact]
    public void Registrations_cancelled_long_before_their_deadline_do_not_pile_up()
    {
        using var scheduler = NewScheduler();
        var live = new Cancelable((IScheduler)scheduler);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => { }, live);
        for (var i = 0; i < 20_000; i++)
        {
            // A single timer replaced over and over, as an actor's StartSingleTimer with one key does.
            var replaced = new Cancelable((IScheduler)scheduler);
            ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => { }, replaced);
            replaced.Cancel();
        }

        // Swept whenever the queue reaches twice what was live at the last sweep (at least 4,096).
        Assert.InRange(scheduler.Pending, 1, 4096);
        Assert.False(live.IsCancellationRequested);
    }

    [Fact]
    public async Task A_registration_that_throws_does_not_keep_the_others_from_running()
    {
        using var scheduler = NewScheduler();
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(20), () => throw new InvalidOperationException("boom"));
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(20), () => after.SetResult());
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.Zero, () => { });

        await after.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task Registrations_with_equal_deadlines_run_in_the_order_they_were_scheduled()
    {
        // Back-to-back registrations with one delay often get the same deadline (100 ns ticks); a binary heap alone
        // would not keep their order, where the wheel ran a bucket in insertion order.
        using var scheduler = NewScheduler();
        const int n = 2000;
        var order = new ConcurrentQueue<int>();
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < n; i++)
        {
            var k = i;
            ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(200), () =>
            {
                order.Enqueue(k);
                if (k == n - 1) last.SetResult();
            });
        }
        await last.Task.WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, n), order);
    }

    [Fact]
    public async Task A_repeating_registration_that_throws_is_dropped_as_the_wheel_drops_it()
    {
        using var scheduler = NewScheduler();
        var runs = 0;
        ((IScheduler)scheduler).Advanced.ScheduleRepeatedly(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20), () =>
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("boom");
        });
        // Ten of its intervals later (a one-shot on the same scheduler, so no wall-clock guess), it ran once.
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(220), () => later.SetResult());
        await later.Task.WaitAsync(Bound);
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public void On_dispose_what_is_pending_runs_once_and_nothing_more_can_be_scheduled()
    {
        var scheduler = NewScheduler();
        var pending = 0;
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => Interlocked.Increment(ref pending));
        ((IScheduler)scheduler).Advanced.ScheduleRepeatedly(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), () => Interlocked.Increment(ref pending));
        var cancelled = new Cancelable((IScheduler)scheduler);
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMinutes(10), () => Interlocked.Increment(ref pending), cancelled);
        cancelled.Cancel();

        scheduler.Dispose();

        Assert.Equal(2, pending);
        Assert.Throws<SchedulerException>(() => ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.Zero, () => { }));
        scheduler.Dispose();
        Assert.Equal(2, pending);
    }
}
