using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Takes the place of Akka's Newtonsoft JSON serializer (key <c>json</c>, id 1, Akka's fallback for every type
/// without a binding) and refuses both ways. Every message between members is protobuf
/// (<see cref="ProtobufSerializer"/>); JSON would let anyone who reaches the peer port construct any C# type of
/// this process, e.g. the records actors accept only from their own node (RaftProtocol, MvccProtocol), and
/// deliver it to any actor path. A message that is not protobuf is therefore dropped at the receiving endpoint,
/// and a local send of one to a peer fails loudly instead of going out as JSON. See docs/design.md, "Transport".
/// </summary>
public sealed class NoJsonSerializer : Serializer
{
    public const int Id = 1;

    public NoJsonSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <summary>Akka passes <c>akka.actor.serialization-settings.json</c> to the serializer registered under <c>json</c>.</summary>
    public NoJsonSerializer(ExtendedActorSystem system, Config settings) : base(system)
    {
    }

    public override int Identifier => Id;

    public override bool IncludeManifest => true;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType()} cannot be sent to another member: only protobuf messages cross the peer port");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new SerializationException($"refused a JSON-serialized {type?.Name ?? "message"} from the network: only protobuf messages cross the peer port");
}
