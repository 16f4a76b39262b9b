using Akka.Actor;

namespace Etcd.Actors.Serialization;

/// <summary>
/// What a refusing serializer (<see cref="RefusingSerializer"/>, <see cref="PeerMiscMessageSerializer"/>) returns
/// for bytes from the network instead of the message they encode, which is never constructed. Akka.Remote's
/// inbound dispatcher (Akka.Remote's <c>DefaultMessageDispatcher</c>) drops every <see cref="IPossiblyHarmful"/>
/// message in untrusted mode (peer-port.conf) before it reaches an actor, also inside an actor selection. Returning it rather than
/// throwing matters: a throw is logged by Akka's <c>EndpointReader</c> at warning level for every message (no rate
/// limit), and for a system message, which comes with a sequence number for Akka's redelivery, it escapes the reader
/// (<c>DeliverAndAck</c> does not catch) and fails the association. This way only that message is dropped.
/// </summary>
public sealed class RefusedPeerMessage : IPossiblyHarmful
{
    public RefusedPeerMessage(int serializerId, string manifest)
    {
        SerializerId = serializerId;
        Manifest = manifest;
    }

    public int SerializerId { get; }

    /// <summary>The manifest the sender claimed, as received (possibly a type name: never resolved).</summary>
    public string Manifest { get; }

    public override string ToString() => $"refused message (serializer {SerializerId}, manifest [{Manifest}])";
}
