using Etcd.Actors.Lease.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Lease;

/// <summary>A keep-alive or TTL query a follower forwarded to the leader and has no answer for yet.</summary>
internal sealed class PendingForward(LeaseForward.Types.Kind kind, long leaseId, long deadlineMs,
    TaskCompletionSource<long>? keepAlive, TaskCompletionSource<LeaseTimeToLive?>? timeToLive)
{
    public LeaseForward.Types.Kind Kind { get; } = kind;
    public long LeaseId { get; } = leaseId;
    public long DeadlineMs { get; } = deadlineMs;
    public TaskCompletionSource<long>? KeepAlive { get; } = keepAlive;
    public TaskCompletionSource<LeaseTimeToLive?>? TimeToLive { get; } = timeToLive;

    /// <summary>The member it was last sent to (0: not sent, or that member said it does not lead).</summary>
    public ulong SentTo { get; set; }

    public bool IsDone => KeepAlive?.Task.IsCompleted ?? TimeToLive!.Task.IsCompleted;

    public void Fail(Errors.EtcdError error)
    {
        KeepAlive?.TrySetException(error.ToException());
        TimeToLive?.TrySetException(error.ToException());
    }
}
