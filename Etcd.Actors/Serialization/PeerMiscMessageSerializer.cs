using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Akka.Remote's serializer for its own small messages (Identify, Status, RemoteWatcher heartbeats, PoisonPill,
/// Kill, ...), taking its place under <c>akka-misc</c> (id 16) with one difference: a <see cref="Kill"/> or
/// <see cref="PoisonPill"/> read from the network is refused. Untrusted mode drops PoisonPill but not Kill, and
/// a Kill addressed to /user/etcd/mvcc restarts the store and RaftActor: anyone on the peer port could keep a
/// member from serving. Members never send either to each other. See docs/design.md, "Transport".
/// </summary>
public sealed class PeerMiscMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    // MiscMessageSerializer is sealed: this one delegates to it.
    private readonly MiscMessageSerializer _inner = new(system);

    public override string Manifest(object o) => _inner.Manifest(o);

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var message = _inner.FromBinary(bytes, manifest);
        if (message is Kill or PoisonPill)
            throw new SerializationException($"refused a {message.GetType().Name} from the network: members never stop each other's actors");
        return message;
    }
}
