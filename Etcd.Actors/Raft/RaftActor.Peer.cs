using Etcd.Actors.Serialization;
using Akka.Event;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// What arrives from other members: only <see cref="PeerEnvelope"/>s for this cluster and this member. The
/// gateway (/user/etcd/peer) checked that (<see cref="PeerTrust.Check"/>) and warned about the rest; it is checked
/// again here, because Akka.Remote delivers to any actor path and a stranger may address /user/etcd/raft directly.
/// Inside an envelope the sender is named once (<see cref="PeerEnvelope.From"/>), is never this member, and the
/// body must agree with it; a Raft body is never one only our own core steps (MsgProp, MsgHup, ...). Commands
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
        var verdict = PeerTrust.Check(e, _clusterId, _memberId);
        if (verdict != PeerVerdict.Accepted)
        {
            // Only what skipped the gateway gets here (it drops the same with its own warning).
            if (_refusedPeers.ShouldWarn(e.From.ToString("x16"), out var suppressed))
                _log.Warning("raft {0:x16}: ignored a {1} envelope from {2:x16} at {3}: {4}; {5} more since the last warning",
                    _memberId, e.BodyCase, e.From, Sender.Path.Address, PeerTrust.Reason(verdict), suppressed);
            return;
        }
        switch (e.BodyCase)
        {
            case PeerEnvelope.BodyOneofCase.Raft:
                OnPeerMessage(e.Raft);
                break;
            case PeerEnvelope.BodyOneofCase.Forwarded:
                OnForwarded(e.Forwarded, e.From);
                break;
            case PeerEnvelope.BodyOneofCase.Refused:
                if (IsCurrentMember(e.From)) OnProposalsRefused(e.Refused, e.From);
                else WarnRefused(e.From, "a refusal of proposals");
                break;
            case PeerEnvelope.BodyOneofCase.Chunk:
                if (e.Chunk.From == e.From) OnSnapshotChunk(e.Chunk);
                break;
            case PeerEnvelope.BodyOneofCase.Removed:
                OnMemberRemovedNotice(e.Removed, e.From);
                break;
            case PeerEnvelope.BodyOneofCase.Ping:
                // Only members get health and an address from a ping: per-sender state stays bounded (design.md, layer 4).
                if (e.Ping.From != e.From || !IsCurrentMember(e.From)) return;
                _health.HeardPing(e.From, _ticks, e.Ping.HearsYou);
                _peers.LearnFrom(e.From, Sender);
                break;
            case PeerEnvelope.BodyOneofCase.Membership:
                OnMembershipFromPeer(e.Membership, e.From);
                break;
            case PeerEnvelope.BodyOneofCase.ChunkAck:
                // To the transfer to that member (SnapshotProtocol.Ack); no leader duties, no transfer.
                if (e.ChunkAck.From == e.From) _duties?.Tell(new SnapshotProtocol.Ack(e.ChunkAck, e.From), Self);
                break;
        }
    }

    /// <summary>
    /// The connection to a peer closed (its process went away, so the kernel closed the socket) or could not be
    /// opened. If that is our own link to our leader, stop waiting a whole election timeout for its heartbeats; if
    /// it is a link the other side opened claiming the leader's address, ping the leader, whose failure (if it is
    /// gone) comes back on our own link (<see cref="TransportLoss"/>). A partition or a paused process closes
    /// nothing and takes the ordinary timeout path.
    /// </summary>
    private void OnTransportLost(Akka.Remote.AssociationEvent e)
    {
        if (_node is not { } node) return;
        var peer = _peers.FindByAddress(e.RemoteAddress);
        // Only a DisassociatedEvent can be the one our reset caused (EndpointWriter.PostStop publishes nothing else); an
        // AssociationErrorEvent is a failed dial, evidence whatever we did before, and must not spend the marker.
        var ours = e is Akka.Remote.DisassociatedEvent && !e.IsInbound && peer is { } p && _linkResets.TakeOwnLoss(p, _ticks);
        switch (TransportLoss.Judge(e.IsInbound, peer, node.Lead, node.Role == RaftRole.Follower, ours))
        {
            case TransportLossVerdict.ForgetLeader:
                _log.Info("raft {0:x16}: lost the connection to leader {1:x16}; electing sooner", _memberId, node.Lead);
                node.ForgetLeader();
                ScheduleReady();
                break;
            case TransportLossVerdict.ProbeLeader when _peers.TryGet(node.Lead, out var leader):
                leader.Tell(new PeerEnvelope { ClusterId = _clusterId, To = node.Lead, From = _memberId, Ping = new PeerPing { From = _memberId } }, Self);
                break;
        }
    }

    /// <summary>
    /// Fails waiters registered here, by id, with the error it names: only for ids this member forwarded to
    /// <paramref name="sender"/> (see <see cref="ForwardedTo"/>). Ids are not secret, so any other member could
    /// otherwise fail waiters it was never sent. A proposal passed on by another member and refused further on
    /// is refused by a member we did not send it to: its client then times out, as etcd's would.
    /// </summary>
    private void OnProposalsRefused(ProposalsRefused r, ulong sender)
    {
        var error = EtcdErrors.FromMessage(r.Error);
        var refusable = _requests.Forwards.Sent.TakeRefusable(sender, r.Ids, out var ignored);
        foreach (var id in refusable) _waits.Fail(id, error);
        if (ignored > 0 && _refusedPeers.ShouldWarn(sender.ToString("x16"), out var suppressed))
            _log.Warning("raft {0:x16}: ignored a refusal of {1} proposals from {2:x16}, which were not forwarded to it; {3} more since the last warning",
                _memberId, ignored, sender, suppressed);
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
        // Its waiter id names whose client the applied change answers: it must be one the origin hands out.
        if (!WaiterIds.BelongsTo(c.Waiter, c.From))
        {
            RefuseMembership(c, EtcdErrors.NotCapable);
            return;
        }
        OnMembershipChange(c);
    }
}
