using Akka.Actor;
using Akka.Dispatch;

namespace Etcd.Actors.Scheduling;

/// <summary>
/// One registration of <see cref="DeadlineScheduler"/>: what to run, when (monotonic ticks), and every how long again
/// (zero: once). A repeating entry is the same object put back into the queue with its next deadline.
/// </summary>
internal sealed class ScheduledEntry(IRunnable action, ICancelable? cancelable, long deadline, long interval)
{
    public IRunnable Action { get; } = action;

    public long Deadline { get; set; } = deadline;

    public long Interval { get; } = interval;

    // A repeating registration whose action threw is not run again, as the wheel drops it.
    private volatile bool _failed;

    public bool Cancelled => _failed || cancelable is { IsCancellationRequested: true };

    public void Fail() => _failed = true;
}
