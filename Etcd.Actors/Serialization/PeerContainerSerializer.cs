using Akka.Actor;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Akka.Remote's serializer for actor selections (<c>akka-containers</c>, id 6), which members need: a joining
/// member and the corruption check ask the gateway through a selection (Server/ClusterJoin.cs,
/// Corruption/PeerHashKvClient.cs). Outbound it is Akka's own (no manifest). Inbound it is a string-manifest
/// serializer, so Akka never loads a type named by the sender before calling it (it does for Akka's, which takes
/// a manifest it never sends), and it refuses a manifest. The message inside a selection is read with its own
/// serializer id, so through the same refusals. Bytes that do not parse are refused on a peer connection rather
/// than thrown (see <see cref="RefusedPeerMessage"/> for why).
/// </summary>
public sealed class PeerContainerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 6;

    // MessageContainerSerializer: this one delegates to it.
    private readonly MessageContainerSerializer _inner = new(system);

    public override int Identifier => Id;

    public override string Manifest(object o) => "";

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!string.IsNullOrEmpty(manifest))
            return PeerPortRefusals.Get(system).Refuse(Id, manifest, "an actor selection with a manifest");
        try
        {
            return _inner.FromBinary(bytes, null!);
        }
        catch (Exception e) when (PeerPortRefusals.ReadingFromNetwork)
        {
            return PeerPortRefusals.Get(system).Refuse(Id, "", $"a malformed actor selection ({e.GetType().Name}: {e.Message})");
        }
    }
}
