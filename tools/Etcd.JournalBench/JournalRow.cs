using Etcd.Actors.Serialization;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.JournalBench;

/// <summary>
/// The row one lone put writes to the Raft journal: one <see cref="EntriesAppended"/> (one entry plus the hard state,
/// as JournalWrite builds it) serialized by <see cref="ProtobufSerializer"/>, with the plugin's column values. The
/// entry's data is padded so the serialized event is about <c>payloadBytes</c> long.
/// </summary>
internal sealed class JournalRow
{
    /// <summary>The persistence id of every mode's rows (RaftActor's form, raft-&lt;member id&gt;).</summary>
    public const string PersistenceId = "raft-0000000000000001";

    /// <summary>The manifest ProtobufSerializer gives the event: its proto full name.</summary>
    public static readonly string Manifest = EntriesAppended.Descriptor.FullName;

    /// <summary>What a persistent actor writes into writer_uuid: one id per actor incarnation.</summary>
    public readonly string WriterUuid = Guid.NewGuid().ToString();

    private readonly ByteString _data;

    public JournalRow(int payloadBytes)
    {
        // The event's own fields and length prefixes take a few bytes; the rest is the entry's data (a put request
        // in a member). Sized at an index of 10,000, so it varies by a byte or two over a run.
        var length = payloadBytes;
        while (length > 0 && Event(10_000, ByteString.CopyFrom(new byte[length])).CalculateSize() > payloadBytes) length--;
        _data = ByteString.CopyFrom(new byte[length]);
    }

    /// <summary>A fresh event for Raft index <paramref name="index"/>, as a leader's Ready would give it.</summary>
    public EntriesAppended Event(long index) => Event(index, _data);

    private static EntriesAppended Event(long index, ByteString data)
    {
        var i = (ulong)index;
        var appended = new EntriesAppended { State = new HardState { Term = 2, Vote = 1, Commit = i - 1 } };
        appended.Entries.Add(new Entry { Term = 2, Index = i, Type = EntryType.EntryNormal, Data = data });
        return appended;
    }

    /// <summary>The message column of the raw modes: the serializer's bytes, produced per write as the plugin does.</summary>
    public byte[] Message(long index) => Event(index).ToByteArray();
}
