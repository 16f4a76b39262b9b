using System.Collections.Frozen;
using Akka.Actor;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Akka.Remote's serializer for its own small messages (Identify, Status, RemoteWatcher heartbeats, PoisonPill,
/// Kill, routers, deploy scopes, ...), taking its place under <c>akka-misc</c> (id 16). Outbound it is Akka's own.
/// Inbound it looks at the manifest first and builds only <see cref="Allowed"/>; anything else is refused before
/// Akka's serializer sees the bytes (<see cref="RefusedPeerMessage"/>), e.g. a <c>Status.Failure</c>, whose
/// exception Akka would construct from a type name sent by the peer, a <see cref="Kill"/> (untrusted mode lets it
/// through; one to /user/etcd/mvcc restarted the store and RaftActor), or a <see cref="PoisonPill"/>.
/// See docs/design.md, "Trust model of the peer port".
/// </summary>
public sealed class PeerMiscMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>
    /// The manifests (Akka.Remote's MiscMessageSerializer) read from the network. Members send each other none of
    /// these: they resolve peers by path (PeerDirectory), ask the gateway through an actor selection carrying
    /// protobuf, and watch no remote actor, so RemoteWatcher sends no heartbeats between them (a trace here during
    /// the cluster specs saw none). Kept empty on purpose; a message added here must construct nothing chosen by
    /// the sender, and an Identify would be answered with its payload, which could be a RefusedPeerMessage our
    /// reply then fails to serialize (an error line per message).
    /// </summary>
    public static FrozenSet<string> Allowed { get; } = FrozenSet<string>.Empty;

    public const int Id = 16;

    // MiscMessageSerializer is sealed: this one delegates to it.
    private readonly MiscMessageSerializer _inner = new(system);

    public override int Identifier => Id;

    public override string Manifest(object o) => _inner.Manifest(o);

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is null || !Allowed.Contains(manifest))
            return PeerPortRefusals.Get(system).Refuse(Id, manifest ?? "", "one of Akka's own messages members never exchange");
        return _inner.FromBinary(bytes, manifest);
    }
}
