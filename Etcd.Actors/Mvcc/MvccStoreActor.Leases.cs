using Akka.Actor;
using Etcd.Actors.Lease.Core;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The applied lease table: built with the store from the backend (OpenStore), changed only by committed entries
/// (Applier.Lease.cs), persisted with each batch, and followed by the member's lease manager, which this actor
/// tells what every durable batch did (<see cref="MvccLeaseProtocol.LeasesApplied"/>).
/// </summary>
public sealed partial class MvccStoreActor
{
    private readonly IActorRef? _leaseManager;
    private LeaseTable _leases;

    private void ReceiveLeases()
    {
        Receive<MvccLeaseProtocol.GetLease>(g =>
        {
            var lease = _leases.Get(g.Id);
            g.Completion.TrySetResult(new MvccLeaseProtocol.LeaseView(lease, lease is null ? [] : _leases.Keys(g.Id), _store.CurrentRevision));
        });
        Receive<MvccLeaseProtocol.GetLeasedKeys>(g => g.Completion.TrySetResult(_leases.AttachedKeys()));
        // Between batches, so the keys are exactly the ones the published version stands for.
        Receive<MvccLeaseProtocol.GetLeaseKeySet>(g =>
            g.Completion.TrySetResult(new MvccLeaseProtocol.LeaseKeySet(_leases.KeySet(g.Id), _authGate?.LeaseKeys.Of(g.Id) ?? 0)));
        // A restarted lease manager: every change so far has been told (each batch's are told when it is durable), so
        // the table now is where the following batches' changes start from.
        Receive<MvccLeaseProtocol.GetLeaseTable>(g => g.ReplyTo.Tell(LeaseTable()));
        Receive<MvccLeaseProtocol.NotifyApplied>(n =>
        {
            _leaseApplyWait = n.Index;
            _leaseApplyWaiter = Sender;
            NotifyLeaseApplied();
        });
    }

    // The lease manager's one outstanding NotifyApplied (0: none). Lost with a store restart: it asks again at its next loop.
    private ulong _leaseApplyWait;
    private IActorRef? _leaseApplyWaiter;

    /// <summary>Answers the lease manager's wait once the applied index reaches it (after the batch's lease changes were told).</summary>
    private void NotifyLeaseApplied()
    {
        if (_leaseApplyWaiter is null || _applied < _leaseApplyWait) return;
        _leaseApplyWaiter.Tell(new MvccLeaseProtocol.AppliedUpTo(_applied));
        _leaseApplyWaiter = null;
        _leaseApplyWait = 0;
    }

    /// <summary>The whole table to the lease manager, after the backend was (re)opened.</summary>
    private void AnnounceLeases()
    {
        _leases.TakeChanges();
        _leaseManager?.Tell(LeaseTable());
        // Rebuilt from the keys: every lease with keys gets a new key-set version for the edge's keep-alive check.
        _leases.TakeKeySetChanges();
        _authGate?.LeaseKeys.Reset(_leases.LeasesWithKeys());
    }

    private MvccLeaseProtocol.LeasesApplied LeaseTable()
    {
        var all = _leases.All();
        var changes = new LeaseChange[all.Count];
        for (var i = 0; i < all.Count; i++) changes[i] = new LeaseChange(LeaseChangeKind.Granted, all[i]);
        return new MvccLeaseProtocol.LeasesApplied(true, changes);
    }

    private void PublishLeaseChanges()
    {
        var changes = _leases.TakeChanges();
        if (changes.Count > 0) _leaseManager?.Tell(new MvccLeaseProtocol.LeasesApplied(false, changes));
        // Durable now: a renewal checked after this sees the new key sets (before any waiter hears of the batch).
        var keySets = _leases.TakeKeySetChanges();
        if (_authGate is { } gate)
            foreach (var id in keySets) gate.LeaseKeys.Changed(id, _leases.HasKeys(id));
        NotifyLeaseApplied();
    }
}
