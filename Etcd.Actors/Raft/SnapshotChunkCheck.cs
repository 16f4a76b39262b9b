using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// What a snapshot transfer's chunks must agree on (no Akka, no I/O). The sender is named once per chunk
/// (<see cref="SnapshotChunk.From"/>, equal to its envelope's, checked in RaftActor.Peer.cs) and is fixed by the
/// transfer's first chunk. The last chunk carries the MsgSnap that RaftActor steps once the file is verified: it
/// must be a MsgSnap from that same sender to this member, with metadata whose term is not past the message's (a
/// leader sends snapshots of its own term or older). Anything else stepped there would be a Raft message that
/// skipped the envelope's checks (a MsgTimeoutNow, a MsgApp, a term from another sender).
/// Chunks carry no term of their own: the MsgSnap's term is judged by Raft like any message's.
/// </summary>
public static class SnapshotChunkCheck
{
    /// <summary>Why the last chunk's MsgSnap cannot be stepped for a transfer from <paramref name="sender"/> to <paramref name="self"/>; null when it can.</summary>
    public static string? RefuseSnap(Message? snap, ulong sender, ulong self)
    {
        if (snap is null) return "the last chunk carries no snapshot message";
        if (snap.Type != MessageType.MsgSnap) return $"the last chunk carries a {snap.Type}, not a MsgSnap";
        if (snap.From != sender || snap.To != self)
            return $"the snapshot message names {snap.From:x16} to {snap.To:x16}, not the transfer's {sender:x16} to {self:x16}";
        if (snap.Snapshot?.Metadata is not { Index: > 0 } meta) return "the snapshot message has no metadata";
        if (meta.Term > snap.Term) return $"the snapshot's term {meta.Term} is past the message's term {snap.Term}";
        return null;
    }

    /// <summary>A chunk after the first must name the sender the transfer started with.</summary>
    public static bool SameSender(SnapshotChunk c, ulong transferSender) => c.From == transferSender;
}
