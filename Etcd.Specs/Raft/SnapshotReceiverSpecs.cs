using System.Security.Cryptography;
using Akka.Actor;
using Akka.TestKit;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// A snapshot transfer's chunks agree on who sends it (<see cref="SnapshotChunkCheck"/>): the last chunk carries
/// the MsgSnap RaftActor steps once the file is verified, so it must be the transfer sender's MsgSnap to this
/// member. Here the receiver's parent (which RaftActor is in a member) is the spec's test actor.
/// </summary>
public sealed class SnapshotReceiverSpecs : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const ulong Self = 0xa1, Leader = 0xb2, Other = 0xc3, Cluster = 0xc1a7;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly byte[] Data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
    private readonly TempDir _dir = new("snapshot-receiver");
    private ulong _transfer = 0x7000;

    void IDisposable.Dispose()
    {
        Shutdown();
        _dir.Dispose();
    }

    private static Message Snap(ulong from = Leader, ulong to = Self, MessageType type = MessageType.MsgSnap, ulong term = 3, ulong metaTerm = 2) => new()
    {
        Type = type, From = from, To = to, Term = term,
        Snapshot = new Snapshot { Metadata = new SnapshotMetadata { Index = 10, Term = metaTerm } },
    };

    private (IActorRef Receiver, ulong Transfer) Start()
    {
        var transfer = ++_transfer;
        return (ChildActorOf(SnapshotReceiverActor.Props(RaftSettings.Default, Self, Cluster, _dir.Path, transfer)), transfer);
    }

    private static SnapshotChunk Chunk(ulong transfer, ulong from, int offset, int length, bool last, Message? snap = null)
    {
        var c = new SnapshotChunk
        {
            TransferId = transfer, From = from, Offset = (ulong)offset, Data = ByteString.CopyFrom(Data, offset, length),
            Last = last, TotalSize = (ulong)Data.Length,
        };
        if (last)
        {
            c.Sha256 = ByteString.CopyFrom(SHA256.HashData(Data));
            c.Snap = snap;
        }
        return c;
    }

    public static TheoryData<string, Message?> BadSnaps => new()
    {
        { "none", null },
        { "a MsgTimeoutNow", Snap(type: MessageType.MsgTimeoutNow) },
        { "another sender", Snap(from: Other) },
        { "another recipient", Snap(to: Other) },
        { "no metadata", new Message { Type = MessageType.MsgSnap, From = Leader, To = Self, Term = 3 } },
        { "a snapshot term past the message's", Snap(term: 3, metaTerm: 4) },
    };

    [Theory]
    [MemberData(nameof(BadSnaps))]
    public void A_last_chunk_whose_message_is_not_the_senders_MsgSnap_to_this_member_fails_the_transfer(string what, Message? snap)
    {
        var (receiver, transfer) = Start();
        var sender = CreateTestProbe();
        receiver.Tell(new SnapshotProtocol.Chunk(Chunk(transfer, Leader, 0, Data.Length, last: true, snap), sender.Ref));

        // Nothing else reaches the parent first: a Received would have RaftActor step that message.
        var failed = ExpectMsg<SnapshotProtocol.ReceiveFailed>(Wait, what);
        Assert.Equal(transfer, failed.TransferId);
        var ack = sender.ExpectMsg<PeerEnvelope>(Wait).ChunkAck;
        Assert.True(ack.Failed, what);
    }

    [Fact]
    public void A_chunk_naming_another_sender_is_not_part_of_the_transfer_and_the_senders_own_completes_it()
    {
        var (receiver, transfer) = Start();
        var leader = CreateTestProbe();
        var other = CreateTestProbe();
        receiver.Tell(new SnapshotProtocol.Chunk(Chunk(transfer, Leader, 0, 40, last: false), leader.Ref));
        Assert.Equal(40UL, leader.ExpectMsg<PeerEnvelope>(Wait).ChunkAck.Received);

        // Same transfer id, next offset, a complete file and a MsgSnap of its own: not the transfer's sender.
        receiver.Tell(new SnapshotProtocol.Chunk(Chunk(transfer, Other, 40, 60, last: true, Snap(from: Other)), other.Ref));
        receiver.Tell(new SnapshotProtocol.Chunk(Chunk(transfer, Leader, 40, 60, last: true, Snap()), leader.Ref));

        var received = ExpectMsg<SnapshotProtocol.Received>(Wait);
        Assert.Equal((transfer, Leader), (received.TransferId, received.Snap.From));
        var ack = leader.ExpectMsg<PeerEnvelope>(Wait);
        Assert.Equal((Leader, 100UL, false), (ack.To, ack.ChunkAck.Received, ack.ChunkAck.Failed));
        // The other sender's chunk was handled before the leader's last one (mailbox order): it got no answer.
        Assert.False(other.HasMessages, "the chunk of another sender was taken as part of the transfer");
        Assert.Equal(Data, File.ReadAllBytes(received.Path));
    }

    [Fact]
    public void A_bare_chunk_sent_to_the_receivers_path_is_ignored()
    {
        // Akka.Remote delivers to any path, so a stranger who learns the transfer id can write here directly:
        // only chunks RaftActor checked and wrapped count, and a bare one moves nothing (no ack, no Received).
        var (receiver, transfer) = Start();
        var stranger = CreateTestProbe();
        receiver.Tell(Chunk(transfer, Leader, 0, Data.Length, last: true, Snap()), stranger.Ref);
        stranger.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        ExpectNoMsg(TimeSpan.Zero);

        // The transfer is untouched: the leader's own chunk (through RaftActor) still completes it from offset 0.
        var leader = CreateTestProbe();
        receiver.Tell(new SnapshotProtocol.Chunk(Chunk(transfer, Leader, 0, Data.Length, last: true, Snap()), leader.Ref));
        var received = ExpectMsg<SnapshotProtocol.Received>(Wait);
        Assert.Equal(transfer, received.TransferId);
        Assert.Equal(100UL, leader.ExpectMsg<PeerEnvelope>(Wait).ChunkAck.Received);
        Assert.False(stranger.HasMessages);
    }
}
