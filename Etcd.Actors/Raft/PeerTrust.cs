using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The check every message from the peer port passes, as etcd's rafthttp checks the X-Etcd-Cluster-ID and
/// X-Raft-To headers of every peer request (etcd-io/etcd server/etcdserver/api/rafthttp/http.go,
/// <c>checkClusterCompatibilityFromHeader</c>). Without TLS this guards against mistakes (a member of another
/// cluster given one of our peer URLs), not against an attacker, who can read the ids off the wire or ask for
/// them (PeerClusterQuery): see docs/design.md, "Transport". What it does rule out for anyone is stepping a
/// message into our core that only our core itself may step (<see cref="PeerVerdict.LocalOnly"/>), or one that
/// claims to come from this member (<see cref="PeerVerdict.FromSelf"/>): the core treats MsgProp from itself as a
/// proposal the leader's host validated, and MsgHup, MsgBeat or MsgCheckQuorum as its own timers.
/// </summary>
public static class PeerTrust
{
    public static PeerVerdict Check(PeerEnvelope e, ulong clusterId, ulong memberId)
    {
        if (e.ClusterId != clusterId) return PeerVerdict.ClusterMismatch;
        if (e.To != memberId) return PeerVerdict.WrongRecipient;
        if (e.BodyCase == PeerEnvelope.BodyOneofCase.None) return PeerVerdict.NoBody;
        if (e.From == memberId) return PeerVerdict.FromSelf;
        return e.BodyCase == PeerEnvelope.BodyOneofCase.Raft ? CheckRaft(e.Raft, e.From, memberId) : PeerVerdict.Accepted;
    }

    /// <summary>
    /// A Raft message <paramref name="sender"/> (the envelope's From, not this member) sent to this member. Every
    /// message a member's core sends carries a term (<c>RaftNode.Send</c> stamps it) and is one of the types
    /// <see cref="IsLocalOnly"/> leaves out: our core never sends MsgProp (followers forward proposals as
    /// <c>ForwardedProposals</c>, RaftActor.Forwarding.cs) nor its timers' messages.
    /// </summary>
    public static PeerVerdict CheckRaft(Message m, ulong sender, ulong memberId)
    {
        // A forwarded MsgTransferLeader names the transferee in From, not the member that sent it.
        if (m.To != memberId || (m.From != sender && m.Type != MessageType.MsgTransferLeader)) return PeerVerdict.SenderMismatch;
        return m.Term == 0 || IsLocalOnly(m.Type) ? PeerVerdict.LocalOnly : PeerVerdict.Accepted;
    }

    /// <summary>
    /// Types only a member's own core steps: etcd-io/raft's <c>IsLocalMsg</c> (MsgHup, MsgBeat, MsgUnreachable,
    /// MsgSnapStatus, MsgCheckQuorum; its storage messages have no equivalent here), and MsgProp, which etcd
    /// forwards as a raw message but this build never does.
    /// </summary>
    public static bool IsLocalOnly(MessageType type) =>
        type is MessageType.MsgHup or MessageType.MsgBeat or MessageType.MsgUnreachable or MessageType.MsgSnapStatus
            or MessageType.MsgCheckQuorum or MessageType.MsgProp;

    /// <summary>Why a verdict other than <see cref="PeerVerdict.Accepted"/> dropped a message, for a warning.</summary>
    public static string Reason(PeerVerdict verdict) => verdict switch
    {
        PeerVerdict.ClusterMismatch => "it is for another cluster",
        PeerVerdict.WrongRecipient => "it is for another member",
        PeerVerdict.NoBody => "it is empty",
        PeerVerdict.FromSelf => "it claims to come from this member",
        PeerVerdict.SenderMismatch => "its Raft message names another sender or recipient",
        PeerVerdict.LocalOnly => "its Raft message is one only this member's own Raft steps",
        _ => verdict.ToString(),
    };
}
