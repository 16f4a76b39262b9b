using Akka.Actor;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Specs.Lease;

/// <summary>
/// A stand-in RaftActor for lease-manager specs: answers every linearizable read at once (the ReadIndex round by
/// which the leader's lease manager confirms it still leads before a renewal, LeaseManagerActor.Leadership.cs) and
/// forwards everything else to <paramref name="target"/> (a probe or the test actor), sender kept.
/// </summary>
public sealed class ConfirmingRaft : ReceiveActor
{
    public ConfirmingRaft(IActorRef target)
    {
        Receive<RaftProtocol.LinearizableRead>(r => r.Read.Completion.TrySetResult(new RangeResponse()));
        ReceiveAny(m => target.Forward(m));
    }

    public static Props Props(IActorRef target) => Akka.Actor.Props.Create(() => new ConfirmingRaft(target));
}
