using Akka.Actor;

namespace Etcd.Actors.Serialization;

/// <summary>Akka's extension id for <see cref="PeerPortRefusals"/>.</summary>
public sealed class PeerPortRefusalsProvider : ExtensionIdProvider<PeerPortRefusals>
{
    public override PeerPortRefusals CreateExtension(ExtendedActorSystem system) => new(system);
}
