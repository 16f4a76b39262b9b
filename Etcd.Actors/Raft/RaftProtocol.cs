using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>Messages RaftActor accepts from the rest of the node.</summary>
public static class RaftProtocol
{
    /// <summary>
    /// Propose one serialized <see cref="InternalRaftRequest"/>. The caller has registered a waiter under
    /// <paramref name="Id"/> in the node's <c>WaitRegistry</c>; MvccStoreActor completes it once the entry
    /// is applied. If the proposal cannot be accepted, RaftActor fails the waiter itself.
    /// <para>
    /// <paramref name="LeaderTerm"/> (0: none) binds a proposal nobody waits for to this member's leadership of that
    /// term: it is appended only by this member as leader of that term and dropped otherwise, never held or forwarded to
    /// another leader. The lease manager's revocations and checkpoints carry it: decided by one leader's lessor, they
    /// are wrong for the next one's (a lease it renewed meanwhile would lose its keys; etcd-io/etcd#15247). What remains
    /// is Raft's own window: appended in its term and then deposed, the entry is overwritten by the next leader, or
    /// committed by it if a quorum had it, in which case it precedes the new leader's first entry, which the new
    /// lessor applies before it promotes (LeaseManagerActor.Promotion.cs).
    /// </para>
    /// </summary>
    public sealed record Propose(ulong Id, ByteString Data, ulong LeaderTerm = 0);

    /// <summary>
    /// A linearizable read. RaftActor obtains a read index (batched: every read that arrives while a
    /// ReadIndex round is open shares it) and hands the reads to MvccStoreActor as <see cref="MvccProtocol.ReadAt"/>.
    /// </summary>
    public sealed record LinearizableRead(MvccProtocol.ReadCommand Read);

    /// <summary>
    /// A membership change from this member's gRPC edge (its waiter is registered here). A bare
    /// <see cref="MembershipChange"/> could come from anyone on the peer port, so local ones travel in this
    /// record, which only this process can send (no serializer accepts it from the network).
    /// </summary>
    public sealed record ChangeMembership(MembershipChange Change);

    /// <summary>Fill Raft's part of a Status (leader, term, index) and pass it on to MvccStoreActor.</summary>
    public sealed record GetStatus(TaskCompletionSource<StatusReport> Completion);

    /// <summary>
    /// Published on the ActorSystem's EventStream by RaftActor whenever the core's SoftState changes
    /// (leader or role). <paramref name="Leader"/> is 0 while there is no leader. <paramref name="LeadStart"/>, when
    /// this member leads, is the index of its empty entry of <paramref name="Term"/> (SoftState.LeadStart): once the
    /// store has applied it, every entry committed before this leadership is applied (0: not leading, or not known).
    /// </summary>
    public sealed record LeaderChanged(ulong MemberId, ulong Leader, ulong Term, ulong LeadStart = 0);

    /// <summary>
    /// Maintenance.MoveLeader: hand leadership to <paramref name="Target"/>. Completed once the target leads;
    /// failed with "not leader" on a follower, "bad leader transferee" for a target that is not a voting
    /// member, "request timed out, leader transfer took too long" when the transfer is abandoned.
    /// </summary>
    public sealed record TransferLeadership(ulong Target, TaskCompletionSource Completion);

    /// <summary>
    /// A leader that stops gracefully hands leadership to its most up-to-date other voter first (etcd does so on
    /// stop). Completed once that voter leads; failed when there is none or this member does not lead.
    /// </summary>
    public sealed record HandOffLeadership(TaskCompletionSource Completion);

    /// <summary>
    /// Published on the EventStream when this member has been removed from the cluster (etcd: "the member has
    /// been permanently removed from the cluster"); the node stops serving shortly after.
    /// </summary>
    public sealed record MemberRemoved(ulong MemberId);
}
