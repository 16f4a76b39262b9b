namespace Etcd.Actors.Lease;

/// <summary>
/// A renewal or TTL question the leader's lease manager holds until its lessor is current (LeaseManagerActor.Held.cs):
/// a <see cref="LeaseProtocol.KeepAlive"/>, a <see cref="LeaseProtocol.TimeToLive"/> or a <see cref="ForwardedLeaseRequest"/>.
/// </summary>
internal sealed record HeldRequest(long DeadlineMs, object Request);
