using Akka.Actor;
using Etcd.Actors.Lease.Core;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc;

/// <summary>Lease messages of MvccStoreActor: what it tells the member's lease manager and what it answers.</summary>
public static class MvccLeaseProtocol
{
    /// <summary>
    /// Told to the lease manager after each durable batch that changed the lease table, in apply order. With
    /// <paramref name="Reset"/> the list is the whole table (every lease as Granted): sent whenever the store
    /// (re)opens its backend (start, restart, snapshot install), so the time side starts again from it.
    /// </summary>
    public sealed record LeasesApplied(bool Reset, IReadOnlyList<LeaseChange> Changes);

    /// <summary>
    /// Asks for the whole table: answered to <paramref name="ReplyTo"/> with a <see cref="LeasesApplied"/> with Reset,
    /// in order with the batches' changes. A restarted lease manager asks it (the store announces the table only when
    /// it opens its backend).
    /// </summary>
    public sealed record GetLeaseTable(IActorRef ReplyTo);

    /// <summary>
    /// The lease manager asks to be told (<see cref="AppliedUpTo"/>, to the sender) once the store has applied up to
    /// <paramref name="Index"/>: at once if it has; otherwise after the batch that reaches it, whose lease changes it
    /// is told first (etcd 3.5's ApplyWait, before the leader renews or answers a TTL). One wait at a time: a new one
    /// replaces the last.
    /// </summary>
    public sealed record NotifyApplied(ulong Index);

    /// <summary>The store's applied index, at or past what <see cref="NotifyApplied"/> asked for.</summary>
    public sealed record AppliedUpTo(ulong Index);

    /// <summary>One lease at the applied state, with the store's revision (for the response header).</summary>
    public sealed record GetLease(long Id, TaskCompletionSource<LeaseView?> Completion);

    /// <summary>
    /// Every key attached to some lease at the applied state (etcd 3.4.42's checkLeaseLeases reads them all to decide
    /// whether a user other than root may list the leases). Bounded by the number of leased keys.
    /// </summary>
    public sealed record GetLeasedKeys(TaskCompletionSource<IReadOnlyList<ByteString>> Completion);

    /// <summary>
    /// The keys attached to one lease at the applied state, in no particular order, with the key-set version the store
    /// published for them (<see cref="Auth.LeaseKeyVersions"/>; 0 for none): what the keep-alive check walks when it has
    /// no answer for that version yet. A copy, not sorted: the check needs every key, not an order.
    /// </summary>
    public sealed record GetLeaseKeySet(long Id, TaskCompletionSource<LeaseKeySet> Completion);

    /// <summary>The answer to <see cref="GetLeaseKeySet"/>.</summary>
    public sealed record LeaseKeySet(IReadOnlyList<ByteString> Keys, long Version);

    /// <summary>A lease at the applied state (null when it does not exist) with the keys attached to it, sorted bytewise.</summary>
    public sealed record LeaseView(LeaseRecord? Lease, IReadOnlyList<ByteString> Keys, long Revision);
}
