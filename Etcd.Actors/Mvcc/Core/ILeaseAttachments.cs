using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// The store's lease seam (etcd's mvcc takes a lease.Lessor for the same purpose): whether a lease exists for a
/// put that names it, and which keys carry which lease, kept current as keys are written, overwritten, deleted
/// and restored. Implemented over the lease table by the apply layer; called inside the store's writes, so every
/// member attaches and detaches the same keys in log order.
/// </summary>
public interface ILeaseAttachments
{
    bool Exists(long lease);

    /// <summary>The lease <paramref name="key"/> carries now, 0 for none.</summary>
    long LeaseOf(ByteString key);

    void Attach(long lease, ByteString key);

    void Detach(long lease, ByteString key);
}
