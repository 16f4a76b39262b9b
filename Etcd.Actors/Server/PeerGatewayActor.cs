using Akka.Actor;

namespace Etcd.Actors.Server;

/// <summary>
/// /user/etcd/peer: where other members send Raft traffic. It lives as long as the member and forwards
/// everything (keeping the sender) to the current RaftActor incarnation. Peers cannot address RaftActor
/// itself: NodeGuardian recreates it after a journal failure, and Akka.Remote's per-thread cache of
/// resolved inbound refs keeps handing the dead incarnation to messages addressed by path, which then go
/// to dead letters on some threads for good (seen as a member that never hears its leader again). While no
/// incarnation is running, messages are dropped, which Raft tolerates like any lost message.
/// </summary>
public sealed class PeerGatewayActor : UntypedActor
{
    private readonly NodeRefs _refs;

    public PeerGatewayActor(NodeRefs refs) => _refs = refs;

    public static Props Props(NodeRefs refs) => Akka.Actor.Props.Create(() => new PeerGatewayActor(refs));

    protected override void OnReceive(object message)
    {
        // Integrity checks ask the store, which answers even while no RaftActor runs (a peer's initial check).
        if (message is Etcd.Api.Etcdserverpb.PeerHashKVRequest)
        {
            _refs.Mvcc.Forward(message);
            return;
        }
        if (_refs.Raft is { } raft) raft.Forward(message);
    }
}
