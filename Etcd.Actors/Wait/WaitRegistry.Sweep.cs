using Etcd.Actors.Errors;

namespace Etcd.Actors.Wait;

/// <summary>
/// The timeouts of timed waiters: one timer per registry, armed while someone waits, walks the waiters every
/// <see cref="SweepInterval"/> and fails those past their deadline with "request timed out" (etcd's
/// ErrTimeout, as the request's context deadline in etcd's v3_server.go processInternalRaftRequestOnce). A timer
/// per waiting put (Task.WaitAsync's) cost a TimerQueueTimer, a promise and a state machine per put; the sweep
/// costs a walk over the in-flight waiters (at most <see cref="Capacity"/>) ten times a second, and nothing at rest.
/// A waiter fails at most one interval after its deadline.
/// </summary>
public sealed partial class WaitRegistry
{
    private readonly Lock _sweepGate = new();
    private Timer? _sweep;
    private volatile bool _armed;

    /// <summary>How often the waiters are checked for their deadline: a tenth of a second, finer for short timeouts.</summary>
    public TimeSpan SweepInterval => Timeout is { } t ? TimeSpan.FromMilliseconds(Math.Clamp(t.TotalMilliseconds / 20, 5, 100)) : System.Threading.Timeout.InfiniteTimeSpan;

    private void ArmSweep()
    {
        if (_armed) return;
        lock (_sweepGate)
        {
            if (_armed) return;
            _sweep ??= new Timer(static state => ((WaitRegistry)state!).Sweep(), this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
            _armed = true;
            _sweep.Change(SweepInterval, SweepInterval);
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var (_, waiter) in _waiters)
        {
            if (waiter.Deadline > now || !Remove(waiter)) continue;
            waiter.Fail(EtcdErrors.Timeout.ToException());
        }
        // Disarmed only when nobody waits. _armed goes false before the count is read: a Register whose count
        // increment this read misses reads _armed after it, sees false and arms again (once this lock is free).
        lock (_sweepGate)
        {
            _armed = false;
            Interlocked.MemoryBarrier();
            if (Count > 0)
            {
                _armed = true;
                return;
            }
            _sweep!.Change(System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
        }
    }
}
