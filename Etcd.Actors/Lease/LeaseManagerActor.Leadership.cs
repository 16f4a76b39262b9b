using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Lease;

/// <summary>
/// The leader renews a lease, for a local or a forwarded keep-alive, only once a ReadIndex round issued after the
/// keep-alive arrived confirms that this member still leads (etcd 3.5.8's ensureLeadership before LeaseRenew,
/// etcd-io/etcd#15247). Without it a leader whose journal write stalls goes on answering the full TTL: RaftActor
/// processes no Ready while a write is in flight (RaftActor.Ready.cs), so it publishes no leader change until the
/// write ends, while the other members have elected a new leader that may revoke the lease meanwhile (two holders of
/// a lease-based lock). The round is an ordinary linearizable read (<see cref="RaftProtocol.LinearizableRead"/>) of
/// one key, answered by the store once the leader's ReadIndex is confirmed by a quorum and applied; its result is not
/// used. One round at a time answers every renewal that arrived before it was issued; those arriving meanwhile wait
/// for the next. A round that fails or is unanswered after <see cref="LeaseSettings.LeadershipWait"/> fails its
/// renewals with "not leader" (etcd: ErrNotPrimary, so the client or the follower asks another member); one whose
/// member has meanwhile become a follower goes to the new leader. The loop's revocations and checkpoints wait for a
/// round too (<see cref="LeaseDuty"/>). Bounded by <see cref="LeaseSettings.MaxForwardsInFlight"/>. Round numbers start
/// at a random value in each incarnation, as forwarded requests' do.
/// </summary>
public sealed partial class LeaseManagerActor
{
    // A single-key read whose answer says only that the ReadIndex round completed.
    private static readonly RangeRequest LeadershipProbe = new() { Key = ByteString.CopyFrom(0), CountOnly = true };

    private List<object> _unconfirmed = [];
    private LeadershipRound? _round;
    private long _roundSeq;
    private ulong _leaderTerm;

    private long LeadershipWaitMs => (long)_settings.LeadershipWait.TotalMilliseconds;

    private ulong CurrentTerm => _status?.Term ?? _leaderTerm;

    private void ReceiveLeadership() => Receive<LeadershipAnswer>(OnLeadershipAnswer);

    /// <summary>A renewal the primary would grant now: answered once a round issued after now confirms leadership.</summary>
    private void ConfirmThenRenew(object renewal)
    {
        // The loop's duties are not counted: at most one per loop is outstanding per round, and keep-alives filling the
        // room must not keep expired leases from ever being revoked.
        if (renewal is not LeaseDuty && _unconfirmed.Count + (_round?.Renewals.Count ?? 0) >= _settings.MaxForwardsInFlight)
        {
            Fail(renewal, EtcdErrors.TooManyRequests);
            return;
        }
        _unconfirmed.Add(renewal);
        if (_round is null) StartRound();
    }

    private void StartRound()
    {
        // One round at a time (a renewal served while the last round's renewals are answered may have started one).
        if (_round is not null || _unconfirmed.Count == 0) return;
        var renewals = _unconfirmed;
        _unconfirmed = [];
        var round = new LeadershipRound(unchecked(++_roundSeq), CurrentTerm, Now + LeadershipWaitMs, renewals);
        _round = round;
        if (_raft() is not { } raft)
        {
            FinishRound(round, confirmed: false);
            return;
        }
        var answered = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        raft.Tell(new RaftProtocol.LinearizableRead(new MvccProtocol.ReadCommand(LeadershipProbe, answered)));
        var id = round.Id;
        answered.Task.PipeTo(Self, success: _ => new LeadershipAnswer(id, true), failure: _ => new LeadershipAnswer(id, false));
    }

    private void OnLeadershipAnswer(LeadershipAnswer a)
    {
        if (_round is not { } round || round.Id != a.RoundId) return; // a round given up on already
        FinishRound(round, a.Confirmed);
    }

    /// <summary>At each loop: a round unanswered past its deadline fails its renewals.</summary>
    private void ExpireRound(long now)
    {
        if (_round is { } round && round.DeadlineMs <= now) FinishRound(round, confirmed: false);
    }

    private void FinishRound(LeadershipRound round, bool confirmed)
    {
        _round = null;
        CatchUpLeader();
        // As etcd checks raftStatus().Lead after the read: an answered round confirms only if this member still leads
        // in the term it issued the round in (a follower's ReadIndex is answered through the leader too).
        var leads = confirmed && _lessor.IsPrimary && CurrentTerm == round.Term;
        foreach (var renewal in round.Renewals)
        {
            if (leads) RenewConfirmed(renewal, round.Term);
            else if (!_lessor.IsPrimary && renewal is LeaseProtocol.KeepAlive k) ForwardKeepAlive(k);
            else Fail(renewal, EtcdErrors.NotLeader);
        }
        StartRound();
    }

    private void RenewConfirmed(object renewal, ulong term)
    {
        switch (renewal)
        {
            case LeaseProtocol.KeepAlive k:
                k.Completion.TrySetResult(Renew(k.Id, term));
                break;
            case ForwardedLeaseRequest f:
                var ttl = Renew(f.Forward.LeaseID, term);
                Reply(f.From, new LeaseForwardAnswer { Seq = f.Forward.Seq, LeaseID = f.Forward.LeaseID, Ttl = ttl, Found = ttl > 0 });
                break;
            case LeaseDuty d:
                ProposeDuty(d, term);
                break;
        }
    }

    /// <summary>The primary's renewal itself: the new TTL (0: no such lease).</summary>
    private long Renew(long id, ulong term)
    {
        var outcome = _lessor.Renew(id, Now);
        if (outcome.ClearCheckpoint) ProposeCheckpoints([new LeaseRecord(id, outcome.Ttl, 0)], term);
        return outcome.Ttl;
    }

    private void FailRounds(EtcdError error)
    {
        if (_round is { } round) foreach (var r in round.Renewals) Fail(r, error);
        foreach (var r in _unconfirmed) Fail(r, error);
        _round = null;
        _unconfirmed.Clear();
    }

    private sealed record LeadershipAnswer(long RoundId, bool Confirmed);
}
