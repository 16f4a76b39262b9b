using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Serializes every generated protobuf message (journal events, Raft messages, etcd API types) with
/// the message's own wire format. The manifest is the proto full name (e.g. "raftpb.EntriesAppended"),
/// not a CLR type name, so renaming or moving C# types never breaks recovery of an existing journal.
/// </summary>
public sealed class ProtobufSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 9002;

    private static readonly ConcurrentDictionary<string, MessageParser> Parsers = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Assembly, bool> Scanned = new();

    static ProtobufSerializer()
    {
        // Only raftpb is needed to replay the journal at start, and peer.proto for every message between members
        // (PeerEnvelope); scanning every generated type of the assembly up front costs ~160 ms of JIT on this
        // machine, so other manifests are learned on first use.
        foreach (var d in RaftReflection.Descriptor.MessageTypes) RegisterDescriptor(d);
        foreach (var d in PeerReflection.Descriptor.MessageTypes) RegisterDescriptor(d);
    }

    private static void RegisterDescriptor(MessageDescriptor d)
    {
        if (d.Parser is { } p) Parsers.TryAdd(d.FullName, p);
        foreach (var nested in d.NestedTypes) RegisterDescriptor(nested);
    }

    public override int Identifier => Id;

    /// <summary>Registers every generated message type of <paramref name="assembly"/> under its proto full name.</summary>
    public static void Register(Assembly assembly)
    {
        if (!Scanned.TryAdd(assembly, true)) return;
        foreach (var type in assembly.GetTypes())
        {
            if (type.IsAbstract || type.IsGenericTypeDefinition || !typeof(IMessage).IsAssignableFrom(type)) continue;
            if (type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is MessageDescriptor d && d.Parser is { } p)
                Parsers.TryAdd(d.FullName, p);
        }
    }

    public static bool IsRegistered(string manifest) => Parsers.ContainsKey(manifest);

    public override byte[] ToBinary(object obj)
    {
        if (obj is not IMessage message) throw new ArgumentException($"{obj.GetType()} is not a protobuf message", nameof(obj));
        return message.ToByteArray();
    }

    public override string Manifest(object o)
    {
        if (o is not IMessage message) throw new ArgumentException($"{o.GetType()} is not a protobuf message", nameof(o));
        var name = message.Descriptor.FullName;
        // A message from an assembly we have not seen yet (e.g. a test's own protos): learn it now, so
        // the same process can also read it back.
        if (!Parsers.ContainsKey(name)) Register(o.GetType().Assembly);
        return name;
    }

    /// <summary>
    /// Throws on an unknown manifest or bytes that do not parse, except on a peer connection, where it returns a
    /// <see cref="RefusedPeerMessage"/> (logged by <see cref="PeerPortRefusals"/>, at most once per sender per 30 s):
    /// a throw there is logged by Akka for every message, and for one sent with a redelivery sequence number it
    /// fails the association. The journal, read outside a peer connection, still fails loudly on a bad record.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return Parse(bytes, manifest);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or SerializationException && PeerPortRefusals.ReadingFromNetwork)
        {
            return PeerPortRefusals.Get(system).Refuse(Id, manifest ?? "", $"an unknown or malformed protobuf message ({e.Message})");
        }
    }

    private static IMessage Parse(byte[] bytes, string manifest)
    {
        if (!Parsers.TryGetValue(manifest, out var parser))
        {
            // Every type generated from protos/ lives in this assembly (etcdserverpb, mvccpb, authpb, ...).
            Register(typeof(Entry).Assembly);
            Parsers.TryGetValue(manifest, out parser);
        }
        if (parser is null)
            throw new SerializationException($"unknown protobuf manifest '{manifest}'");
        return parser.ParseFrom(bytes);
    }
}
