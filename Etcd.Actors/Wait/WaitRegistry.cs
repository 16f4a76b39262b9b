using System.Collections.Concurrent;
using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Wait;

/// <summary>
/// Waiters for proposals this member made, keyed by request id (etcd's wait.Wait). The gRPC handler
/// registers one before proposing; whoever learns the outcome (MvccStoreActor after apply, RaftActor on
/// refusal) completes it. Bounded: registering beyond <see cref="Capacity"/> fails with "too many requests".
/// </summary>
public sealed class WaitRegistry(int capacity)
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<IMessage>> _waiters = new();
    private int _count;

    public int Capacity { get; } = capacity;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Registers a waiter; returns null when the registry is full.</summary>
    public TaskCompletionSource<IMessage>? Register(ulong id)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }
        var tcs = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiters.TryAdd(id, tcs))
        {
            Interlocked.Decrement(ref _count);
            throw new InvalidOperationException($"duplicate waiter id {id:x16}");
        }
        return tcs;
    }

    /// <summary>Completes the waiter with a response; false when nobody waits (another member proposed it, or it timed out).</summary>
    public bool Trigger(ulong id, IMessage response)
    {
        if (!_waiters.TryRemove(id, out var tcs)) return false;
        Interlocked.Decrement(ref _count);
        return tcs.TrySetResult(response);
    }

    /// <summary>Someone still waits for <paramref name="id"/>.</summary>
    public bool IsWaiting(ulong id) => _waiters.ContainsKey(id);

    /// <summary>Fails the waiter with one of etcd's errors.</summary>
    public bool Fail(ulong id, EtcdError error)
    {
        if (!_waiters.TryRemove(id, out var tcs)) return false;
        Interlocked.Decrement(ref _count);
        return tcs.TrySetException(error.ToException());
    }

    /// <summary>Drops a waiter whose caller gave up (timeout or cancellation).</summary>
    public void Forget(ulong id)
    {
        if (_waiters.TryRemove(id, out _)) Interlocked.Decrement(ref _count);
    }

    /// <summary>Fails every waiter, e.g. when the server stops.</summary>
    public void FailAll(EtcdError error)
    {
        foreach (var id in _waiters.Keys) Fail(id, error);
    }
}
