using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// Contexts of one RaftActor incarnation's ReadIndex rounds: member id, a nonce drawn once per incarnation, and
/// a counter (24 bytes). A bare counter starts again at 1 on every member and after every restart, so an
/// answer the leader sent to another member, or to this member before it restarted, could otherwise be taken
/// for the answer to a newer round (a stale read index), and a leader keyed by context alone would merge two
/// members' rounds and answer only one of them. etcd's server draws its read request IDs from its
/// member-and-time based id generator for the same reason.
/// </summary>
internal sealed class ReadIndexContexts(ulong memberId, ulong nonce)
{
    private ulong _counter;

    public static ReadIndexContexts NewIncarnation(ulong memberId) =>
        new(memberId, BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(8)));

    public ByteString Next()
    {
        var ctx = new byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(ctx, memberId);
        BinaryPrimitives.WriteUInt64BigEndian(ctx.AsSpan(8), nonce);
        BinaryPrimitives.WriteUInt64BigEndian(ctx.AsSpan(16), ++_counter);
        return ByteString.CopyFrom(ctx);
    }
}
