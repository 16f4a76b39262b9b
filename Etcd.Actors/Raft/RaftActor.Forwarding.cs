using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Etcd.Actors.Wait;

namespace Etcd.Actors.Raft;

/// <summary>
/// Proposals on their way to the leader. A follower batches what its clients propose into one
/// ForwardedProposals per mailbox run (flushed at ProcessReady, which queues behind the burst) and keeps the
/// waiters; while no leader is known they are held (bounded in count and in ticks) and go to whoever wins. Both
/// queues and the batching are <see cref="ForwardQueues"/>. A refusal crosses back as ProposalsRefused with etcd's message.
/// </summary>
public sealed partial class RaftActor
{
    private PendingProposal Local(RaftProtocol.Propose p) => new(p.Id, p.Data, 0, _ticks, 0, p.LeaderTerm);

    /// <summary>
    /// A proposal bound to a leadership this member does not hold (or no longer holds): dropped, since nobody waits for
    /// it and another leader must not append it (<see cref="RaftProtocol.Propose.LeaderTerm"/>).
    /// </summary>
    private void DropTermBound(ulong id, ulong term) =>
        _log.Debug("raft {0:x16}: dropped proposal {1:x16} bound to leadership of term {2} (now term {3}, {4})", _memberId, id, term, Node.Term, Node.Role);

    private void ForwardOrHold(PendingProposal p)
    {
        var lead = Node.Lead;
        if (lead == 0 || lead == _memberId || !_peers.TryGet(lead, out _))
        {
            Hold(p);
            return;
        }
        if (!_requests.Forwards.TryForward(p))
        {
            Refuse(p, EtcdErrors.TooManyRequests);
            return;
        }
        ScheduleReady();
    }

    private void Hold(PendingProposal p)
    {
        if (!_requests.Forwards.TryHold(p)) Refuse(p, EtcdErrors.TooManyRequests);
    }

    /// <summary>Sends the batch gathered since the last flush to the leader, split by size; called at every ProcessReady.</summary>
    private void FlushForwards()
    {
        if (_requests.Forwards.ToForwardCount == 0) return;
        var lead = Node.Lead;
        var toForward = _requests.Forwards.TakeToForward();
        if (lead == _memberId && Node.Role == RaftRole.Leader)
        {
            foreach (var p in toForward) EnqueueProposal(p);
            return;
        }
        if (lead == 0 || !_peers.TryGet(lead, out var leader))
        {
            foreach (var p in toForward) Hold(p);
            return;
        }
        _requests.Forwards.NoteSent(toForward, _memberId, lead, _waits.IsWaiting);
        foreach (var batch in ForwardQueues.Batch(toForward, _memberId, _settings.MaxBatchEntries, _settings.MaxForwardBytes))
            leader.Tell(new PeerEnvelope { ClusterId = _clusterId, To = lead, From = _memberId, Forwarded = batch }, Self);
    }

    /// <summary>A leader is known again: what waited goes to it.</summary>
    private void ReleaseHeld()
    {
        if (_requests.Forwards.HeldCount == 0) return;
        var isLeader = Node.Role == RaftRole.Leader;
        // Only those held now: a leader known without an address yet (a member that joined hears the leader before
        // its member table gives the URL) holds each one again at the back, and draining until empty would spin.
        var count = _requests.Forwards.HeldCount;
        for (var i = 0; i < count && _requests.Forwards.TryTakeHeld(out var p); i++)
        {
            if (isLeader) EnqueueProposal(p);
            else ForwardOrHold(p);
        }
    }

    /// <summary>Proposals that waited longer than the no-leader timeout fail with "no leader".</summary>
    private void ExpireHeld()
    {
        var expired = _requests.Forwards.TakeExpired(_ticks);
        if (expired is not null) RefuseAll(expired, EtcdErrors.NoLeader);
    }

    /// <summary>
    /// A follower's proposals reach the leader: each one is checked again as the gRPC edge checks it
    /// (<see cref="ProposalIntake.Validate"/>); one that fails never enters the log and its origin gets etcd's error.
    /// </summary>
    private void OnForwardedToLeader(ForwardedProposals f)
    {
        _health.Heard(f.From, _ticks);
        foreach (var p in ProposalIntake.Unpack(f, _memberId, _ticks, (int)f.Hops))
        {
            if (ProposalIntake.Validate(p, _memberId, _settings.MaxRequestBytes, _settings.MaxTxnOps) is { } error) Refuse(p, error);
            else EnqueueProposal(p);
        }
    }

    /// <summary>Someone forwarded to us, but we do not lead (any more): pass them on, within the hop bound.</summary>
    private void OnForwardedNotLeader(ForwardedProposals f)
    {
        var pending = ProposalIntake.Unpack(f, _memberId, _ticks, (int)f.Hops + 1);
        if (f.Hops + 1 > _settings.MaxForwardHops) RefuseAll(pending, EtcdErrors.LeaderChanged);
        else foreach (var p in pending) ForwardOrHold(p);
    }


    private void Refuse(PendingProposal p, EtcdError error) => RefuseAll([p], error);

    /// <summary>Local waiters fail here; forwarded ones are answered to their origin, one message per origin.</summary>
    private void RefuseAll(IEnumerable<PendingProposal> proposals, EtcdError error)
    {
        var local = new List<ulong>();
        foreach (var (origin, refused) in ProposalIntake.ByOrigin(proposals, _memberId, error, local))
            if (_peers.TryGet(origin, out var peer)) peer.Tell(new PeerEnvelope { ClusterId = _clusterId, To = origin, From = _memberId, Refused = refused }, Self);
        foreach (var id in local) _waits.Fail(id, error);
    }
}
