using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

public sealed partial class RaftNode
{
    private void TickElection()
    {
        _electionElapsed++;
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Step(new Message { Type = MessageType.MsgHup, From = Id });
        }
    }

    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _cfg.ElectionTick)
        {
            _electionElapsed = 0;
            if (_cfg.CheckQuorum) Step(new Message { Type = MessageType.MsgCheckQuorum, From = Id });
            if (Role != RaftRole.Leader) return;
            // A transfer that did not finish within an election timeout is abandoned; proposals flow again.
            if (_leadTransferee != 0) AbortLeaderTransfer();
        }
        if (_heartbeatElapsed >= _cfg.HeartbeatTick)
        {
            _heartbeatElapsed = 0;
            Step(new Message { Type = MessageType.MsgBeat, From = Id });
        }
    }

    /// <summary>
    /// The host has evidence the leader is gone (its process closed our connection: it crashed or stopped),
    /// which Raft alone would learn only after an election timeout of silence. A follower forgets the leader
    /// (so it no longer defends the leader's lease against votes) and brings its election forward to within a
    /// few ticks, staggered by the seeded randomness so the followers do not split the vote. Safety never
    /// depends on it: a wrong report costs at most an election (pre-vote fails while the others still hear
    /// the leader). Like etcd-io/raft's ForgetLeader, with the early election added.
    /// </summary>
    public void ForgetLeader()
    {
        if (Role != RaftRole.Follower || Lead == 0) return;
        Lead = 0;
        var stagger = _cfg.Random.Next(Math.Max(1, _cfg.ElectionTick / 2));
        _electionElapsed = Math.Max(_electionElapsed, _randomizedElectionTimeout - 1 - stagger);
    }

    private void Hup()
    {
        if (Role == RaftRole.Leader || !Promotable) return;
        // The configuration may be about to change; campaigning now could count the wrong voters.
        if (HasUnappliedConfChange()) return;
        Campaign(_cfg.PreVote);
    }

    private void Campaign(bool preVote, bool transfer = false)
    {
        ulong term;
        MessageType voteMsg;
        if (preVote)
        {
            BecomePreCandidate();
            voteMsg = MessageType.MsgPreVote;
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            voteMsg = MessageType.MsgVote;
            term = Term;
        }
        if (preVote)
        {
            // A pre-vote changes nothing durable: our own counts at once, and a single voter goes on to vote.
            if (Poll(Id, granted: true) == VoteResult.Won)
            {
                Campaign(preVote: false);
                return;
            }
        }
        else
        {
            // Our own vote counts only once the term and vote are durable (etcd-io/raft 3.6 sends it to itself
            // through msgsAfterAppend): it comes back in Advance of the Ready that persisted them. Otherwise a
            // single voter would lead, and its host send MsgApp of the new term to learners, while a crash could
            // still bring it back at the old term, to vote and lead the new term a second time with other entries.
            Send(new Message { To = Id, Term = term, Type = MessageType.MsgVoteResp });
        }
        foreach (var id in _voters.Voters)
        {
            if (id == Id) continue;
            var m = new Message { To = id, Term = term, Type = voteMsg, Index = _log.LastIndex, LogTerm = _log.LastTerm };
            if (transfer) m.Context = CampaignTransferContext;
            Send(m);
        }
    }

    private VoteResult Poll(ulong id, bool granted)
    {
        _votes.TryAdd(id, granted);
        return _voters.Tally(_votes);
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            if (term < Term) throw new RaftInvariantException($"term going backwards: {Term} -> {term}");
            Term = term;
            Vote = 0;
        }
        Lead = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _cfg.ElectionTick + _cfg.Random.Next(_cfg.ElectionTick);
        _votes.Clear();
        _prs.Clear();
        foreach (var id in _config.All)
        {
            var pr = new Progress(_log.LastIndex + 1, _cfg.MaxInflightMsgs, _config.IsLearner(id));
            // What a leader has of its own log counts once durable; the rest is acknowledged in Advance.
            if (id == Id) pr.MaybeUpdate(_log.DurableLastIndex);
            _prs[id] = pr;
        }
        _leadTransferee = 0;
        _readOnly.Clear();
        _pendingReadIndex.Clear();
    }

    private void BecomeFollower(ulong term, ulong lead)
    {
        Reset(term);
        Lead = lead;
        Role = RaftRole.Follower;
    }

    private void BecomePreCandidate()
    {
        if (Role == RaftRole.Leader) throw new RaftInvariantException("invalid transition leader -> pre-candidate");
        // Neither term nor vote change: losing a pre-vote must leave no trace.
        _votes.Clear();
        Lead = 0;
        Role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (Role == RaftRole.Leader) throw new RaftInvariantException("invalid transition leader -> candidate");
        Reset(Term + 1);
        Vote = Id;
        Role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (Role == RaftRole.Follower) throw new RaftInvariantException("invalid transition follower -> leader");
        Reset(Term);
        Lead = Id;
        Role = RaftRole.Leader;
        // Conservatively: any conf change in our log may still be unapplied, so no new one until all is applied.
        _pendingConfIndex = _log.LastIndex;
        // An empty entry of the new term: committing it commits everything before it (§5.4.2) and
        // tells the leader its commit index is current, which ReadIndex depends on.
        AppendEntries([new Entry()]);
        _leadStart = _log.LastIndex;
        BcastAppend();
    }
}
