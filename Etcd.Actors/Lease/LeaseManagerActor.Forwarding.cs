using Akka.Actor;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Lease;

public sealed partial class LeaseManagerActor
{
    private readonly IActorRef? _mvcc;

    private void ReceiveForwarding()
    {
    }

    private void ForwardKeepAlive(LeaseProtocol.KeepAlive k) =>
        k.Completion.TrySetException((_leader == 0 ? EtcdErrors.NoLeader : EtcdErrors.NotLeader).ToException());

    private void ForwardTimeToLive(LeaseProtocol.TimeToLive t) =>
        t.Completion.TrySetException((_leader == 0 ? EtcdErrors.NoLeader : EtcdErrors.NotLeader).ToException());

    private void FailAllForwards(EtcdError error)
    {
    }
}
