using Google.Protobuf;

namespace Etcd.Actors.Wait;

/// <summary>
/// One waiting proposal of <see cref="WaitRegistry"/>: its task is what the caller awaits (completed with the
/// applier's response, typed as the caller expects, or failed with etcd's error), and it carries what the registry's
/// shared sweep needs (its deadline) and the caller's cancellation registration, so that a waiting put needs no timer,
/// no promise and no async state machine of its own (docs/benchmarks.md "Waiting puts without a timer each").
/// </summary>
public sealed class Waiter<T> : TaskCompletionSource<T>, IWaiter where T : class, IMessage
{
    private readonly WaitRegistry? _registry;
    // Guarded by the lock on this waiter: the registration is set by the registering thread and taken by whichever
    // thread completes the waiter, which may run first (a CancellationTokenRegistration is two words: never read torn).
    private CancellationTokenRegistration _registration;
    private bool _done;

    internal Waiter(ulong id, long deadline, WaitRegistry? registry) : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Id = id;
        Deadline = deadline;
        _registry = registry;
    }

    public ulong Id { get; }

    /// <inheritdoc />
    public long Deadline { get; }

    /// <inheritdoc />
    public bool Respond(IMessage response)
    {
        Detach();
        return response is T typed
            ? TrySetResult(typed)
            : TrySetException(new InvalidCastException($"waiter {Id:x16} expects {typeof(T).Name}, the applier answered {response.GetType().Name}"));
    }

    /// <inheritdoc />
    public bool Fail(Exception error)
    {
        Detach();
        return TrySetException(error);
    }

    /// <summary>Ties the waiter to the caller's token: cancelling it forgets the waiter and cancels its task.</summary>
    internal void Attach(CancellationToken ct)
    {
        if (!ct.CanBeCanceled || _registry is null) return;
        // Runs the callback at once when the token is already cancelled (the waiter is then done before the lock).
        var registration = ct.UnsafeRegister(static (state, token) => ((Waiter<T>)state!).OnCancelled(token), this);
        lock (this)
        {
            if (!_done)
            {
                _registration = registration;
                return;
            }
        }
        registration.Unregister();
    }

    private void OnCancelled(CancellationToken token)
    {
        // Only while it still waits: one the applier or the sweep took out first gets their answer, not this.
        if (!_registry!.Remove(this)) return;
        Detach();
        TrySetCanceled(token);
    }

    /// <inheritdoc />
    public void Abandon()
    {
        Detach();
        TrySetCanceled();
    }

    private void Detach()
    {
        CancellationTokenRegistration registration;
        lock (this)
        {
            _done = true;
            registration = _registration;
            _registration = default;
        }
        // Unregister, not Dispose: it does not wait for a callback running on another thread (this may be it).
        registration.Unregister();
    }
}
