namespace Etcd.Actors.Lease;

/// <summary>
/// One ReadIndex round the leader's lease manager issued to confirm it still leads (LeaseManagerActor.Leadership.cs):
/// it answers the renewals that arrived before it was issued.
/// </summary>
/// <param name="Id">This round's number (a late answer to an earlier round is ignored).</param>
/// <param name="Term">The term this member led in when it issued the round: a confirmation in another term confirms nothing.</param>
/// <param name="DeadlineMs">When the renewals fail with "not leader" if no answer came.</param>
/// <param name="Renewals">Local <see cref="LeaseProtocol.KeepAlive"/>s and forwarded <see cref="ForwardedLeaseRequest"/>s.</param>
internal sealed record LeadershipRound(long Id, ulong Term, long DeadlineMs, List<object> Renewals);
