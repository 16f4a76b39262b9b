using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Cluster;
using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// MemberAdd / MemberRemove / MemberUpdate / MemberPromote. Any member takes the request and keeps the waiter;
/// the leader validates it (etcd's rules in <see cref="MembershipRules"/>, against its member table, its own
/// view of which peers are healthy and its replication progress) and proposes one conf change at a time:
/// later requests queue (bounded) until the previous change is applied and the member table shows it, so each
/// is validated against the membership it will actually change. Every member applies the change; the origin's
/// store completes the waiter with etcd's response.
/// </summary>
public sealed partial class RaftActor
{
    // Changes waiting their turn, and those held while no leader is known (MembershipQueue.cs).
    private readonly MembershipQueue _membership;

    private void OnMembershipChange(MembershipChange c)
    {
        var node = Node;
        if (node.Role == RaftRole.Leader)
        {
            if (!_membership.TryQueue(c))
            {
                RefuseMembership(c, EtcdErrors.TooManyRequests);
                return;
            }
            TryProposeMembership();
            return;
        }
        if (node.Lead != 0 && _peers.TryGet(node.Lead, out var leader))
        {
            if (c.Hops >= _settings.MaxForwardHops)
            {
                RefuseMembership(c, EtcdErrors.LeaderChanged);
                return;
            }
            c.Hops++;
            if (c.From == _memberId || c.From == 0) _requests.Forwards.Sent.Note(c.Waiter, node.Lead, _waits.IsWaiting);
            leader.Tell(new PeerEnvelope { ClusterId = _clusterId, To = node.Lead, From = _memberId, Membership = c }, Self);
            return;
        }
        if (!_membership.TryHold(c, _ticks)) RefuseMembership(c, EtcdErrors.TooManyRequests);
    }

    /// <summary>Proposes the next queued change when nothing is in flight and the store has caught up with the last one.</summary>
    private void TryProposeMembership()
    {
        var node = Node;
        while (node.Role == RaftRole.Leader && !node.HasPendingConfChange && node.LeadTransferee == 0 &&
               _membership.TryNext(_mvccApplied, out var c))
        {
            var (cc, error) = BuildConfChange(c);
            if (error is not null)
            {
                RefuseMembership(c, error);
                continue;
            }
            if (node.ProposeConfChange(cc!) is { } refusal)
            {
                // Checked above, so only a race inside this call; the requester gets an honest answer.
                RefuseMembership(c, refusal switch
                {
                    RaftNode.ConfChangeRefusal.NotLeader => EtcdErrors.NotLeader,
                    // The member table passed it but Raft's configuration refuses it: answer as the table would.
                    RaftNode.ConfChangeRefusal.Invalid => cc!.Type is ConfChangeType.ConfChangeRemoveNode or ConfChangeType.ConfChangeUpdateNode
                        ? EtcdErrors.MemberNotFound : EtcdErrors.MemberExist,
                    _ => EtcdErrors.TooManyRequests,
                });
                continue;
            }
            _log.Info("raft {0:x16}: proposed {1} of {2:x16}", _memberId, cc!.Type, cc.NodeId);
            ScheduleReady();
            return;
        }
    }

    private (ConfChange? Change, EtcdError? Error) BuildConfChange(MembershipChange c)
    {
        var node = Node;
        var table = MemberTable.FromProto(_members.Members, _members.Removed);
        var strict = _settings.StrictReconfigCheck;
        var healthy = _health.ActiveFor(_settings.HealthIntervalTicks, _ticks, _memberId);
        switch (c.ChangeCase)
        {
            case MembershipChange.ChangeOneofCase.Add:
            {
                var urls = MemberUrls.Normalize(c.Add.PeerURLs);
                if (urls is null) return (null, EtcdErrors.MemberBadUrls);
                var id = MemberIds.NewMemberId(urls, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                var error = MembershipRules.ValidateAdd(table, id, urls, c.Add.IsLearner, strict, healthy, _memberId);
                if (error is not null) return (null, error);
                var member = new Member { ID = id, IsLearner = c.Add.IsLearner };
                member.PeerURLs.AddRange(urls);
                var type = c.Add.IsLearner ? ConfChangeType.ConfChangeAddLearnerNode : ConfChangeType.ConfChangeAddNode;
                return (new ConfChange { Id = c.Waiter, Type = type, NodeId = id, Context = member.ToByteString() }, null);
            }
            case MembershipChange.ChangeOneofCase.Remove:
            {
                var id = c.Remove.ID;
                var error = MembershipRules.ValidateRemove(table, id, strict, healthy, _memberId, _health.ActiveFor(0, _ticks, _memberId));
                if (error is not null) return (null, error);
                return (new ConfChange { Id = c.Waiter, Type = ConfChangeType.ConfChangeRemoveNode, NodeId = id }, null);
            }
            case MembershipChange.ChangeOneofCase.Update:
            {
                var id = c.Update.ID;
                var error = MembershipRules.ValidateUpdate(table, id, c.Update.PeerURLs);
                if (error is not null) return (null, error);
                var member = MemberTable.ToProto(table.Find(id)!);
                member.PeerURLs.Clear();
                member.PeerURLs.AddRange(MemberUrls.Normalize(c.Update.PeerURLs)!);
                return (new ConfChange { Id = c.Waiter, Type = ConfChangeType.ConfChangeUpdateNode, NodeId = id, Context = member.ToByteString() }, null);
            }
            case MembershipChange.ChangeOneofCase.Promote:
            {
                var id = c.Promote.ID;
                var leaderMatch = node.ProgressOf(_memberId)?.Match ?? node.LastIndex;
                var error = MembershipRules.ValidatePromote(table, id, node.ProgressOf(id)?.Match, leaderMatch, strict);
                if (error is not null) return (null, error);
                var member = MemberTable.ToProto(table.Find(id)!);
                member.IsLearner = false;
                return (new ConfChange { Id = c.Waiter, Type = ConfChangeType.ConfChangeAddNode, NodeId = id, Context = member.ToByteString() }, null);
            }
            default:
                return (null, EtcdErrors.NotCapable);
        }
    }

    private void RefuseMembership(MembershipChange c, EtcdError error)
    {
        if (c.From == _memberId || c.From == 0)
        {
            _waits.Fail(c.Waiter, error);
            return;
        }
        if (_peers.TryGet(c.From, out var origin))
            origin.Tell(new PeerEnvelope { ClusterId = _clusterId, To = c.From, From = _memberId, Refused = new ProposalsRefused { Ids = { c.Waiter }, Error = error.Message } }, Self);
    }

    /// <summary>On step-down the queue goes to the next leader; on a known leader what waited goes to it.</summary>
    private void OnRoleChangedForMembership(SoftState soft)
    {
        if (soft.Role != RaftRole.Leader) _membership.SteppedDown(_ticks);
        if (soft.Lead == 0) return;
        foreach (var c in _membership.TakeHeld()) OnMembershipChange(c);
        TryProposeMembership();
    }

    private void ExpireHeldMembership()
    {
        foreach (var c in _membership.Expire(_ticks)) RefuseMembership(c, EtcdErrors.NoLeader);
    }
}
