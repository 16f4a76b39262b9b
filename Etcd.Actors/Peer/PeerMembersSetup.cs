using Akka.Actor.Setup;

namespace Etcd.Actors.Peer;

/// <summary>Hands <see cref="PeerMemberAddresses"/> to the peer transport (Akka.Remote constructs it from the
/// ActorSystem alone) and to MvccStoreActor, which publishes the member table into it (EtcdNode.StartAsync).</summary>
public sealed class PeerMembersSetup(PeerMemberAddresses addresses) : Setup
{
    public PeerMemberAddresses Addresses { get; } = addresses;
}
