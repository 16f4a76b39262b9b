using Etcd.Actors.Lease.Core;

namespace Etcd.Actors.Lease;

/// <summary>Messages LeaseManagerActor accepts from this member (the facade); peers' come in a PeerEnvelope.</summary>
public static class LeaseProtocol
{
    /// <summary>
    /// One keep-alive: completed with the TTL the lease has again, or 0 when it does not exist (expired or
    /// revoked); failed with an EtcdException when no leader can be reached. A follower forwards it to the leader.
    /// </summary>
    public sealed record KeepAlive(long Id, TaskCompletionSource<long> Completion);

    /// <summary>The lease's TTL as the leader sees it (etcd answers LeaseTimeToLive from the leader): null when unknown.</summary>
    public sealed record TimeToLive(long Id, TaskCompletionSource<LeaseTimeToLive?> Completion);

    /// <summary>Every lease this member knows (LeaseLeases: etcd 3.4 lists its own lessor's).</summary>
    public sealed record List(TaskCompletionSource<IReadOnlyList<long>> Completion);

    /// <summary>
    /// Published on the EventStream each time this member's lease manager proposes the revocation of an expired
    /// lease, so that operators (the log) and specs can see that an expiry is proposed once.
    /// </summary>
    public sealed record ExpiryProposed(ulong MemberId, long LeaseId);
}
