using System.Collections.Concurrent;
using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Wait;

/// <summary>
/// Waiters for proposals this member made, keyed by request id (etcd's wait.Wait). The gRPC handler
/// registers one before proposing; whoever learns the outcome (MvccStoreActor after apply, RaftActor on
/// refusal) completes it. Bounded: registering beyond <see cref="Capacity"/> fails with "too many requests".
/// With a <paramref name="timeout"/>, a waiter registered through <see cref="Register{T}(ulong, CancellationToken)"/>
/// fails with "request timed out" once it has waited that long: one shared sweep (WaitRegistry.Sweep.cs) instead
/// of a timer per waiting proposal.
/// </summary>
public sealed partial class WaitRegistry(int capacity, TimeSpan? timeout = null)
{
    private readonly ConcurrentDictionary<ulong, IWaiter> _waiters = new();
    private int _count;

    public int Capacity { get; } = capacity;

    /// <summary>How long a timed waiter waits before it fails with "request timed out"; null: waiters never time out.</summary>
    public TimeSpan? Timeout { get; } = timeout;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Registers a waiter that never times out; returns null when the registry is full.</summary>
    public TaskCompletionSource<IMessage>? Register(ulong id) => Add(new Waiter<IMessage>(id, long.MaxValue, this));

    /// <summary>
    /// Registers a waiter for a response of type <typeparamref name="T"/> that fails with etcd's "request timed out"
    /// after <see cref="Timeout"/> and is cancelled (and forgotten) with <paramref name="ct"/>; returns null when the
    /// registry is full. Its task is the whole wait: the caller awaits nothing else.
    /// </summary>
    public Waiter<T>? Register<T>(ulong id, CancellationToken ct) where T : class, IMessage
    {
        var timeout = Timeout ?? throw new InvalidOperationException("this registry has no timeout: use Register(id)");
        var waiter = Add(new Waiter<T>(id, Environment.TickCount64 + (long)timeout.TotalMilliseconds, this));
        if (waiter is null) return null;
        ArmSweep();
        waiter.Attach(ct);
        return waiter;
    }

    private Waiter<T>? Add<T>(Waiter<T> waiter) where T : class, IMessage
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }
        if (!_waiters.TryAdd(waiter.Id, waiter))
        {
            Interlocked.Decrement(ref _count);
            throw new InvalidOperationException($"duplicate waiter id {waiter.Id:x16}");
        }
        return waiter;
    }

    /// <summary>Completes the waiter with a response; false when nobody waits (another member proposed it, or it timed out).</summary>
    public bool Trigger(ulong id, IMessage response)
    {
        if (!_waiters.TryRemove(id, out var waiter)) return false;
        Interlocked.Decrement(ref _count);
        return waiter.Respond(response);
    }

    /// <summary>Someone still waits for <paramref name="id"/>.</summary>
    public bool IsWaiting(ulong id) => _waiters.ContainsKey(id);

    /// <summary>Fails the waiter with one of etcd's errors.</summary>
    public bool Fail(ulong id, EtcdError error)
    {
        if (!_waiters.TryRemove(id, out var waiter)) return false;
        Interlocked.Decrement(ref _count);
        return waiter.Fail(error.ToException());
    }

    /// <summary>Drops a waiter whose caller gave up (timeout, cancellation, or a refusal before it was proposed).</summary>
    public void Forget(ulong id)
    {
        if (!_waiters.TryRemove(id, out var waiter)) return;
        Interlocked.Decrement(ref _count);
        waiter.Abandon();
    }

    /// <summary>Drops <paramref name="waiter"/> if it is still the one registered under its id.</summary>
    internal bool Remove(IWaiter waiter)
    {
        if (!_waiters.TryRemove(new KeyValuePair<ulong, IWaiter>(waiter.Id, waiter))) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Fails every waiter, e.g. when the server stops.</summary>
    public void FailAll(EtcdError error)
    {
        foreach (var id in _waiters.Keys) Fail(id, error);
    }
}
