using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Takes the place of one of Akka's serializers on a member (peer-port.conf binds it under that serializer's name,
/// with its id in <c>serialization-settings.&lt;name&gt;.identifier</c>) and refuses both ways. Inbound it never
/// looks at the bytes or resolves the manifest: it is a string-manifest serializer, so Akka hands it the manifest
/// as text instead of first loading the type it names (Akka's <c>Serialization.Deserialize</c> calls
/// <c>TypeCache.GetType(manifest)</c> for any other serializer), and it returns a <see cref="RefusedPeerMessage"/>,
/// which Akka.Remote drops in untrusted mode. Outbound it throws, so a member that tried to send (or to store) one
/// of these would fail at once instead of writing what no member can read back.
/// Members exchange only the peer protocol's protobuf messages (<see cref="ProtobufSerializer"/>, id 9002), inside
/// an actor selection for the gateway's queries (Akka's container serializer, id 6): no system messages (no remote
/// DeathWatch or deployment), no JSON, and the journal stores only protobuf. See docs/design.md, "Trust model of the
/// peer port".
/// </summary>
public sealed class RefusingSerializer : SerializerWithStringManifest
{
    private readonly int _identifier;
    private readonly string _refuses;

    /// <summary>Akka passes <c>akka.actor.serialization-settings.&lt;name&gt;</c>: <c>identifier</c> and <c>refuses</c> (what it stands for).</summary>
    public RefusingSerializer(ExtendedActorSystem system, Config settings) : base(system)
    {
        _identifier = settings.GetInt("identifier", -1);
        if (_identifier < 0) throw new ConfigurationException("a RefusingSerializer needs serialization-settings.<name>.identifier");
        _refuses = settings.GetString("refuses", "a message outside the peer protocol");
    }

    public override int Identifier => _identifier;

    public override string Manifest(object o) => throw Outbound(o);

    public override byte[] ToBinary(object obj) => throw Outbound(obj);

    public override object FromBinary(byte[] bytes, string manifest) =>
        PeerPortRefusals.Get(system).Refuse(_identifier, manifest ?? "", _refuses);

    private SerializationException Outbound(object o) =>
        new($"{o.GetType()} cannot be sent to another member or stored (serializer {_identifier}, {_refuses}): only protobuf messages cross the peer port");
}
