using Akka.Event;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// What arrives from other members: only <see cref="PeerEnvelope"/>s for this cluster and this member. The
/// gateway (/user/etcd/peer) checked that and warned about the rest; it is checked again here, silently, because
/// Akka.Remote delivers to any actor path and a stranger may address /user/etcd/raft directly. Inside an
/// envelope the sender is named once (<see cref="PeerEnvelope.From"/>) and the body must agree with it. Commands
/// from this process are C# records (<see cref="RaftProtocol"/>), which no serializer accepts from the network.
/// </summary>
public sealed partial class RaftActor
{
    // What a member of our cluster id may not do (not a member, or not the sender it names) is refused with a
    // warning, rate-limited like the gateway's: whoever knows the cluster id could otherwise flood the log.
    private readonly PeerWarnings _refusedPeers = new(TimeSpan.FromSeconds(30), 64, static () => TimeSpan.FromMilliseconds(Environment.TickCount64));

    private void WarnRefused(ulong sender, string what)
    {
        if (_refusedPeers.ShouldWarn(sender.ToString("x16"), out var suppressed))
            _log.Warning("raft {0:x16}: ignored {1} from {2:x16}, which is not a member of this cluster; {3} more since the last warning",
                _memberId, what, sender, suppressed);
    }

    private void OnPeerEnvelope(PeerEnvelope e)
    {
        if (PeerTrust.Check(e, _clusterId, _memberId) != PeerVerdict.Accepted) return;
        switch (e.BodyCase)
        {
            case PeerEnvelope.BodyOneofCase.Raft:
                // A forwarded MsgTransferLeader names the transferee in From, not the member that sent it.
                if (e.Raft.To != _memberId || (e.Raft.From != e.From && e.Raft.Type != MessageType.MsgTransferLeader)) return;
                OnPeerMessage(e.Raft);
                break;
            case PeerEnvelope.BodyOneofCase.Forwarded:
                OnForwarded(e.Forwarded, e.From);
                break;
            case PeerEnvelope.BodyOneofCase.Refused:
                // Fails waiters registered here, by id, with the error it names: only a current member may say so
                // (the leader we forwarded to). Ids are not secret, so a current member could still fail waiters it
                // was not sent; checking against the ids forwarded to that member is left for later (issue 8 note).
                if (IsCurrentMember(e.From)) OnProposalsRefused(e.Refused);
                else WarnRefused(e.From, "a refusal of proposals");
                break;
            case PeerEnvelope.BodyOneofCase.Chunk:
                if (e.Chunk.From == e.From) OnSnapshotChunk(e.Chunk);
                break;
            case PeerEnvelope.BodyOneofCase.Removed:
                OnMemberRemovedNotice(e.Removed, e.From);
                break;
            case PeerEnvelope.BodyOneofCase.Ping:
                if (e.Ping.From != e.From) return;
                _health.HeardPing(e.From, _ticks, e.Ping.HearsYou);
                _peers.LearnFrom(e.From, Sender);
                break;
            case PeerEnvelope.BodyOneofCase.Membership:
                OnMembershipFromPeer(e.Membership, e.From);
                break;
            // ChunkAck goes to the leader's SnapshotSenderActor, never here.
        }
    }

    /// <summary>
    /// Proposals a member forwarded. Only current members may forward (a removed one, or one we have never
    /// heard of, is refused nothing and told nothing: it is not ours to answer). The leader validates each one
    /// again before it enters the log.
    /// </summary>
    private void OnForwarded(ForwardedProposals f, ulong sender)
    {
        if (!IsCurrentMember(sender) || !IsCurrentMember(f.From))
        {
            WarnRefused(IsCurrentMember(sender) ? f.From : sender, "forwarded proposals");
            return;
        }
        if (Node.Role == RaftRole.Leader) OnForwardedToLeader(f);
        else OnForwardedNotLeader(f);
    }

    /// <summary>
    /// Membership notices and changes are honoured only from current members: both the member that sent it and
    /// the member whose client asked (which keeps the waiter) must be in this cluster.
    /// </summary>
    private void OnMembershipFromPeer(MembershipChange c, ulong sender)
    {
        // c.From may be this member: a change it forwarded comes back when the leader it went to steps down.
        if (!IsCurrentMember(sender) || !IsCurrentMember(c.From))
        {
            WarnRefused(IsCurrentMember(sender) ? c.From : sender, "a membership change");
            return;
        }
        OnMembershipChange(c);
    }
}
