using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Leader behaviour: proposals (this member's and the ones followers forward) are batched into the core's
/// log; MoveLeader transfers leadership; <see cref="LeaderDutiesActor"/> lives exactly as long as the
/// leadership and does the leader's background work (snapshot transfers to followers).
/// </summary>
public sealed partial class RaftActor
{
    private IActorRef? _duties;

    private void Leader(object message)
    {
        switch (message)
        {
            case RaftProtocol.Propose { LeaderTerm: not 0 } p when Node.Role != RaftRole.Leader || Node.Term != p.LeaderTerm:
                DropTermBound(p.Id, p.LeaderTerm);
                break;
            case RaftProtocol.Propose p:
                EnqueueProposal(Local(p));
                break;
            case RaftProtocol.TransferLeadership t:
                OnTransferLeadership(t);
                break;
            case RaftProtocol.HandOffLeadership h:
                OnHandOff(h);
                break;
            default:
                Common(message);
                break;
        }
    }

    private void BecomeRole(RaftRole role)
    {
        switch (role)
        {
            case RaftRole.Leader:
                Become(Leader);
                _duties ??= Context.ActorOf(LeaderDutiesActor.Props(_settings, _memberId, _clusterId, _mvcc), $"leader-duties-{Node.Term}");
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                Become(Candidate);
                StopDuties();
                break;
            default:
                Become(Follower);
                StopDuties();
                break;
        }
    }

    /// <summary>Its timers and snapshot transfers die with it; the senders report failure to nobody (we are not leader).</summary>
    private void StopDuties()
    {
        if (_duties is null) return;
        Context.Stop(_duties);
        _duties = null;
    }

    /// <summary>Flow control, then the queue that the next Ready drains into the log.</summary>
    private void EnqueueProposal(PendingProposal p)
    {
        if (!_requests.Batcher.TryEnqueue(p, Node.CommitIndex, _mvccApplied)) Refuse(p, EtcdErrors.TooManyRequests);
        else ScheduleReady();
    }

    private void OnHandOff(RaftProtocol.HandOffLeadership h)
    {
        var node = Node;
        var best = node.Config.Voters.Where(v => v != _memberId).OrderByDescending(v => node.ProgressOf(v)?.Match ?? 0).FirstOrDefault();
        if (best == 0) h.Completion.TrySetException(EtcdErrors.BadLeaderTransferee.ToException());
        else OnTransferLeadership(new RaftProtocol.TransferLeadership(best, h.Completion));
    }

    private void OnTransferLeadership(RaftProtocol.TransferLeadership t)
    {
        var node = Node;
        if (!node.Config.IsVoter(t.Target))
        {
            t.Completion.TrySetException(EtcdErrors.BadLeaderTransferee.ToException());
            return;
        }
        if (t.Target == _memberId)
        {
            t.Completion.TrySetResult();
            return;
        }
        _requests.Transfer.Start(t, _ticks);
        _log.Info("raft {0:x16}: transferring leadership to {1:x16} at term {2}", _memberId, t.Target, node.Term);
        node.TransferLeader(t.Target);
        ScheduleReady();
    }

    /// <summary>
    /// The core abandons a transfer after an election timeout; once we stepped down we wait (two election
    /// timeouts at most) to hear who leads now. Either way the caller gets etcd's answer.
    /// </summary>
    private void TickTransfer()
    {
        if (_node is null) return;
        _requests.Transfer.Tick(_ticks, _node.Role == RaftRole.Leader, _node.LeadTransferee);
    }

    private void OnLeadershipChangedForTransfer(SoftState soft)
    {
        _requests.Transfer.LeadershipChanged(soft.Lead, soft.Role == RaftRole.Leader);
    }

    private void SendSnapshot(Message snap)
    {
        if (_duties is null || !_peers.TryGet(snap.To, out var peer))
        {
            Node.ReportSnapshot(snap.To, false);
            return;
        }
        _duties.Tell(new SnapshotProtocol.Send(snap, peer));
    }
}
