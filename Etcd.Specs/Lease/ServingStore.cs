using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Specs.Lease;

/// <summary>
/// A stand-in MvccStoreActor for lease-manager specs beside a real RaftActor: it has applied whatever is asked
/// (the leader waits for its applied index before a renewal), has an empty lease table, answers every linearizable
/// read (the ReadIndex round by which the leader confirms it still leads) and ignores the rest (applied entries,
/// the member table).
/// </summary>
public sealed class ServingStore : ReceiveActor
{
    public ServingStore()
    {
        Receive<MvccLeaseProtocol.NotifyApplied>(n => Sender.Tell(new MvccLeaseProtocol.AppliedUpTo(n.Index)));
        Receive<MvccLeaseProtocol.GetLeaseTable>(g => g.ReplyTo.Tell(new MvccLeaseProtocol.LeasesApplied(true, [])));
        Receive<MvccProtocol.ReadAt>(r =>
        {
            foreach (var read in r.Reads) read.Completion.TrySetResult(new RangeResponse());
        });
        ReceiveAny(_ => { });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ServingStore());
}
