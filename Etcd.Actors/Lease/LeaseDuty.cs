using Etcd.Actors.Lease.Core;

namespace Etcd.Actors.Lease;

/// <summary>
/// What the primary lessor's loop would propose: revocations of expired leases and due checkpoints. It waits for a
/// leadership round (LeaseManagerActor.Leadership.cs) like a renewal does, and is proposed only if the round confirms
/// this member still leads in the same term: a leader whose journal write stalls has not heard of the keep-alives
/// the new leader took meanwhile, and its revocation, forwarded to the new leader once it steps down, would delete a
/// live lease's keys (etcd-io/etcd#15247; etcd checks leadership before revoking since etcd-io/etcd#16822). Dropped
/// otherwise: a lease still expired is offered again after the retry interval, a checkpoint at the next one. Once
/// confirmed, only what is still due is proposed, bound to the confirmed term (RaftProtocol.Propose.LeaderTerm), so
/// RaftActor appends it only as that term's leader and never hands it to the next one.
/// </summary>
internal sealed record LeaseDuty(List<long> Expired, List<LeaseRecord> Checkpoints);
