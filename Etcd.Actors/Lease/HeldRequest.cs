namespace Etcd.Actors.Lease;

/// <summary>
/// A renewal or TTL question the leader's lease manager holds until its lessor is current (LeaseManagerActor.Held.cs):
/// a <see cref="LeaseProtocol.KeepAlive"/>, a <see cref="LeaseProtocol.TimeToLive"/> or a <see cref="ForwardedLeaseRequest"/>.
/// </summary>
/// <param name="Index">The commit index at its arrival: answered once the store has applied up to it (0: no wait).</param>
internal sealed record HeldRequest(ulong Index, long DeadlineMs, object Request);
