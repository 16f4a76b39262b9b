using Google.Protobuf;

namespace Etcd.Actors.Wait;

/// <summary>A waiter of <see cref="WaitRegistry"/>, whatever response type its caller expects (<see cref="Waiter{T}"/>).</summary>
public interface IWaiter
{
    ulong Id { get; }

    /// <summary>When the shared sweep fails it with "request timed out" (<see cref="Environment.TickCount64"/>, ms); <see cref="long.MaxValue"/> for never.</summary>
    long Deadline { get; }

    /// <summary>Completes it with the applier's response; false when it was already done.</summary>
    bool Respond(IMessage response);

    /// <summary>Fails it with <paramref name="error"/>; false when it was already done.</summary>
    bool Fail(Exception error);

    /// <summary>Nobody waits for it any more (its caller gave up): unhooked from the caller's token, its task cancelled.</summary>
    void Abandon();
}
