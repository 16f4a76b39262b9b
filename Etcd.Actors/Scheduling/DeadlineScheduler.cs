using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Etcd.Actors.Scheduling;

/// <summary>
/// Akka's scheduler for a member (<c>akka.scheduler.implementation</c> in member.conf): a queue of registrations
/// ordered by deadline and one <see cref="Timer"/> armed for the earliest, so it wakes only when something is due.
/// Akka's default, <c>HashedWheelTimerScheduler</c>, ticks every <c>akka.scheduler.tick-duration</c> (10 ms) whether
/// anything is scheduled or not: a member at rest woke the runtime's timer thread ~290 times a second and a pool
/// worker ~300 times for those ticks, 23-34 ms of CPU a second against etcd's 5-6 (docs/benchmarks.md, "Idle CPU and
/// put 1/1"). A coarser tick would make every scheduled message later: a registration runs at the first tick after
/// its deadline, and a repeating one is placed again from that tick, so the Raft tick of 100 ms already came every
/// ~110 ms with 10 ms ticks (measured: docs/benchmarks.md; by its source the wheel's lag is one tick) and would come
/// later still with 50 ms ticks. Here a registration runs when the runtime's timer fires for its deadline (up to
/// <see cref="Slack"/> early, or a little late), and a repeating one keeps its rate: the next
/// deadline is the last one plus the interval, as a Go time.Ticker (what etcd's Raft tick uses) keeps it, and like
/// a Ticker it drops what it missed rather than firing a burst when it ran more than an interval late.
/// <para>
/// Due registrations run on the timer's pool thread one callback at a time (<see cref="_runGate"/>), in deadline
/// order and, for equal deadlines, in the order they were scheduled (as the wheel ran one bucket), so two messages
/// scheduled for one actor arrive in the order of their deadlines. A cancelled registration is dropped when it
/// reaches the head (as the wheel drops it at its bucket); it costs memory until then, and the wake-up armed for it
/// if it was the earliest. A repeating registration whose action throws is dropped, as the wheel drops it. On dispose (the ActorSystem's termination), as the wheel does, every
/// registration still pending runs once.
/// </para>
/// </summary>
public sealed class DeadlineScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    // Registrations due within this much of now run in this wake-up: the runtime's timer counts whole milliseconds and
    // may fire a little before the Stopwatch reaches the deadline; waking again for the remainder would cost a wake-up.
    private static readonly long Slack = TimeSpan.TicksPerMillisecond;
    private static readonly long MaxDue = (long)uint.MaxValue - 2;

    private readonly Lock _gate = new();
    private readonly Lock _runGate = new();
    // Ordered by (deadline, sequence): PriorityQueue keeps no insertion order among equal priorities.
    private readonly PriorityQueue<ScheduledEntry, (long Deadline, long Seq)> _queue = new();
    private long _seq;
    private readonly Timer _timer;
    // Akka's own monotonic clock (Akka.Util.MonotonicClock) is internal: this one also counts from the first use.
    private static readonly long ClockStart = Stopwatch.GetTimestamp();
    private long _armedFor = long.MaxValue;
    // The queue is swept of cancelled registrations when it reaches this size, which then becomes twice what is left
    // (at least PurgeFloor): a registration cancelled long before its deadline (a replaced single timer, say) is
    // otherwise held until it reaches the head, and the sweep keeps the queue within twice the live registrations at
    // an amortised constant cost per Add.
    private const int PurgeFloor = 4096;
    private int _purgeAt = PurgeFloor;
    private volatile bool _disposed;
    private long _wakeUps;

    /// <summary>Akka creates it from <c>akka.scheduler.implementation</c> with the system's config and a logger.</summary>
    public DeadlineScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        _timer = new Timer(static s => ((DeadlineScheduler)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>How many times the timer has fired: once per distinct due time, nothing at rest (DeadlineSchedulerSpecs).</summary>
    internal long WakeUps => Interlocked.Read(ref _wakeUps);

    /// <summary>Registrations waiting, cancelled ones not yet dropped included.</summary>
    internal int Pending { get { lock (_gate) return _queue.Count; } }

    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;

    /// <summary>Whole milliseconds, as Akka's MonotonicClock.Elapsed.</summary>
    public override TimeSpan MonotonicClock => TimeSpan.FromMilliseconds(Now / TimeSpan.TicksPerMillisecond);

    public override TimeSpan HighResMonotonicClock => TimeSpan.FromTicks(Now);

    /// <summary>Monotonic time in <see cref="TimeSpan"/> ticks.</summary>
    private static long Now => Stopwatch.GetElapsedTime(ClockStart).Ticks;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Add(initialDelay, interval, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Add(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Add(initialDelay, interval, new ActionRunnable(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Add(initialDelay, interval, action, cancelable);

    private void Add(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        var deadline = Later(Now, delay.Ticks);
        lock (_gate)
        {
            if (_disposed) throw new SchedulerException("cannot enqueue after timer shutdown");
            _queue.Enqueue(new ScheduledEntry(action, cancelable, deadline, interval.Ticks), (deadline, _seq++));
            if (_queue.Count >= _purgeAt) Purge();
            if (deadline < _armedFor) Arm(deadline);
        }
    }

    /// <summary><paramref name="at"/> plus <paramref name="ticks"/> (negative: none), saturated: no overflow to the past.</summary>
    private static long Later(long at, long ticks) => ticks <= 0 ? at : ticks > long.MaxValue - at ? long.MaxValue : at + ticks;

    /// <summary>Under <see cref="_gate"/>: drops every cancelled registration and sets the next sweep's size.</summary>
    private void Purge()
    {
        var live = new List<(ScheduledEntry, (long, long))>(_queue.Count);
        while (_queue.TryDequeue(out var entry, out var at))
            if (!entry.Cancelled) live.Add((entry, at));
        _queue.EnqueueRange(live);
        _purgeAt = Math.Max(PurgeFloor, live.Count * 2);
    }

    /// <summary>Under <see cref="_gate"/>: the timer fires at <paramref name="deadline"/> (now if it is past).</summary>
    private void Arm(long deadline)
    {
        _armedFor = deadline;
        var due = Math.Clamp((deadline - Now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond, 0, MaxDue);
        _timer.Change(due, Timeout.Infinite);
    }

    private void OnTimer()
    {
        Interlocked.Increment(ref _wakeUps);
        // One callback runs registrations at a time: a re-arm while one runs may start another on a second thread.
        lock (_runGate)
        {
            List<ScheduledEntry>? due = null;
            lock (_gate)
            {
                if (_disposed) return;
                var now = Now;
                while (_queue.TryPeek(out var head, out var at) && (head.Cancelled || at.Deadline <= now + Slack))
                {
                    _queue.Dequeue();
                    if (head.Cancelled) continue;
                    (due ??= []).Add(head);
                }
                // Repeating ones go back after the loop, so one with an interval within Slack runs once per wake-up.
                foreach (var head in due ?? [])
                {
                    if (head.Interval <= 0) continue;
                    // Fixed rate, as a Go Ticker; after a stall longer than an interval, one run and on from now.
                    var next = Later(head.Deadline, head.Interval);
                    head.Deadline = next > now ? next : Later(now, head.Interval);
                    _queue.Enqueue(head, (head.Deadline, _seq++));
                }
                _armedFor = long.MaxValue;
                if (_queue.TryPeek(out _, out var first)) Arm(first.Deadline);
            }
            if (due is null) return;
            foreach (var entry in due) Run(entry);
        }
    }

    private void Run(ScheduledEntry entry)
    {
        // A repeating registration cancelled by an earlier one of this batch does not run again.
        if (entry.Cancelled) return;
        try
        {
            entry.Action.Run();
        }
        catch (SchedulerException) when (_disposed)
        {
            // A task run at dispose that schedules again: the wheel ignores this too.
        }
        catch (Exception e)
        {
            entry.Fail();
            try
            {
                Log.Error(e, "Error running a scheduled task");
            }
            catch
            {
                // A logger that throws must not take the timer's thread (and the process) down with it.
            }
        }
    }

    public void Dispose()
    {
        List<ScheduledEntry> left;
        lock (_runGate)
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
                _timer.Dispose();
                left = new List<ScheduledEntry>(_queue.Count);
                while (_queue.TryDequeue(out var entry, out _)) left.Add(entry);
            }
        }
        // As HashedWheelTimerScheduler.Dispose: what was still scheduled runs once (a pending Ask's timeout, say).
        foreach (var entry in left) Run(entry);
    }
}
