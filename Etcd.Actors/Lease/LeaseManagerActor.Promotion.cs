using Akka.Event;
using Etcd.Actors.Raft;

namespace Etcd.Actors.Lease;

/// <summary>
/// Who leads, and when this member's lessor becomes primary. A new leader promotes its lessor only once its store has
/// applied the empty entry it appended on becoming leader (<see cref="RaftProtocol.LeaderChanged.LeadStart"/>), as etcd
/// promotes when it applies that entry: before that, entries committed by the previous leader may still be unapplied
/// here, and a lease granted by one of them would be renewed with TTL 0 ("not found") or its revocation proposed
/// again. Until the store is there, a local keep-alive or TTL question waits in the forward queue (served on promotion,
/// bounded by its timeout) and a forwarded one is answered "not leader", which its follower asks again at its next
/// loop. The applied index is asked with <see cref="Mvcc.MvccLeaseProtocol.NotifyApplied"/>, again at each loop (a
/// restarted store forgets the question).
/// </summary>
public sealed partial class LeaseManagerActor
{
    private ulong _leader;
    // While this member leads and its lessor is not primary yet: the term and the index of its first entry in it.
    private (ulong Term, ulong Index)? _promotion;
    // The term the lessor was promoted in (meaningful while primary).
    private ulong _primaryTerm;

    private void OnLeaderChanged(RaftProtocol.LeaderChanged l)
    {
        if (l.MemberId != _memberId) return;
        var leader = Effective(l.Leader);
        var changed = _leader != leader;
        _leader = leader;
        _leaderTerm = l.Term;
        if (leader == _memberId)
        {
            // A leadership this lessor was not promoted for (a later term: catching up from the shared status shows only
            // the latest change, so leader at one term may be followed here by leader at a later one).
            if (!(_lessor.IsPrimary && _primaryTerm == l.Term) && _promotion?.Term != l.Term)
            {
                if (_lessor.IsPrimary) Demote(l);
                _promotion = (l.Term, l.LeadStart);
                TryPromote();
            }
        }
        else
        {
            _promotion = null;
            if (_lessor.IsPrimary) Demote(l);
        }
        if (changed) ResendPending();
    }

    /// <summary>Promotes the lessor once the store has applied this leadership's first entry; asks it otherwise.</summary>
    private void TryPromote()
    {
        if (_promotion is not { } p) return;
        if (_appliedIndex < p.Index)
        {
            AskApplied(p.Index);
            return;
        }
        _promotion = null;
        _primaryTerm = p.Term;
        _lessor.Promote(Now, PromoteExtensionMs);
        _log.Info("lease: became primary at term {0} (applied up to {1}, this leadership's first entry {2}): {3} leases live again (remaining TTL of their last checkpoint, or the full TTL) plus {4} ms",
            p.Term, _appliedIndex, p.Index, _lessor.Count, PromoteExtensionMs);
        // What waited here for a leader to be served by: this member now.
        ResendPending();
    }

    private void Demote(RaftProtocol.LeaderChanged l)
    {
        _lessor.Demote();
        _log.Info("lease: no longer primary (leader {0:x16}, term {1})", l.Leader, l.Term);
    }

    /// <summary>
    /// The leader as this member may act on it: a member whose RaftActor is down (the ref is null between an
    /// incarnation's stop and the next one's start) leads nothing, whatever was last published, so its lessor cannot
    /// renew leases it has no Raft to revoke them through (etcd-io/etcd#15247).
    /// </summary>
    private ulong Effective(ulong leader) => leader == _memberId && _raft() is null ? 0 : leader;

    /// <summary>
    /// Catches up with RaftActor's shared status (a LeaderChanged published before this actor subscribed, or a
    /// leadership of a later term) and with a RaftActor that is gone: done at every loop and before every renewal or
    /// TTL answer, so no renewal is granted by a lessor whose Raft stopped.
    /// </summary>
    private void CatchUpLeader()
    {
        if (_status?.Leadership is not { } now)
        {
            // No shared status (specs): only a RaftActor that is gone changes what this actor may act on.
            if (Effective(_leader) != _leader) OnLeaderChanged(new RaftProtocol.LeaderChanged(_memberId, _leader, _leaderTerm));
            return;
        }
        var reported = Effective(now.Leader);
        if (reported != _leader || (reported == _memberId && now.Term != _leaderTerm))
            OnLeaderChanged(new RaftProtocol.LeaderChanged(_memberId, now.Leader, now.Term, now.LeadStart));
    }
}
