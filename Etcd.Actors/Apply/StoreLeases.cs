using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc.Core;
using Google.Protobuf;

namespace Etcd.Actors.Apply;

/// <summary>The store's lease seam over the applied <see cref="LeaseTable"/> (etcd's mvcc calls its lessor the same way).</summary>
public sealed class StoreLeases(LeaseTable table) : ILeaseAttachments
{
    public bool Exists(long lease) => table.Exists(lease);

    public long LeaseOf(ByteString key) => table.LeaseOf(key);

    public void Attach(long lease, ByteString key) => table.Attach(lease, key);

    public void Detach(long lease, ByteString key) => table.Detach(lease, key);
}
