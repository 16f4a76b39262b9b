using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

public sealed partial class RaftNode
{
    /// <summary>
    /// Feeds one message into the state machine: from a peer (Term set) or local (Term 0: MsgHup,
    /// MsgBeat, MsgProp, MsgReadIndex, MsgCheckQuorum). Term rules are applied here, once, before
    /// the role-specific handling (Raft §5.1: a newer term always wins, an older one is answered or dropped).
    /// </summary>
    public void Step(Message m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Term == 0)
        {
            // local message
        }
        else if (m.Term > Term)
        {
            if (m.Type is MessageType.MsgVote or MessageType.MsgPreVote)
            {
                // Leader lease: if we heard from a live leader within the minimum election timeout, a
                // campaigning node is probably partitioned from it; don't let it disturb the cluster.
                // A transfer the leader asked for is exempt: the old leader itself wants this election.
                var force = m.Context == RaftNode.CampaignTransferContext;
                var inLease = _cfg.CheckQuorum && Lead != 0 && _electionElapsed < _cfg.ElectionTick;
                if (!force && inLease) return;
            }
            if (m.Type == MessageType.MsgPreVote)
            {
                // A pre-vote never changes our term.
            }
            else if (m.Type == MessageType.MsgPreVoteResp && !m.Reject)
            {
                // Granted pre-votes are for Term+1; we bump the term only when the pre-vote is won.
            }
            else if (m.Type is MessageType.MsgApp or MessageType.MsgHeartbeat or MessageType.MsgSnap)
            {
                BecomeFollower(m.Term, m.From);
            }
            else
            {
                BecomeFollower(m.Term, 0);
            }
        }
        else if (m.Term < Term)
        {
            if ((_cfg.CheckQuorum || _cfg.PreVote) && m.Type is MessageType.MsgHeartbeat or MessageType.MsgApp)
            {
                // A stale leader (e.g. back from a partition) would otherwise never learn the new term,
                // because with pre-vote/check-quorum nobody campaigns against it with a higher term.
                Send(new Message { To = m.From, Type = MessageType.MsgAppResp });
            }
            else if (m.Type == MessageType.MsgPreVote)
            {
                Send(new Message { To = m.From, Term = Term, Type = MessageType.MsgPreVoteResp, Reject = true });
            }
            else if (m.Type == MessageType.MsgVote)
            {
                // The Raft paper's rule (etcd-io/raft drops these): a stale candidate learns the term it must beat.
                // Otherwise a voter that is behind on membership but ahead on term, campaigning alone with a
                // configuration in which the candidate is a learner or absent, never writes to it, and the only
                // voter able to win waits for its own terms to overtake by chance (pre-vote off).
                Send(new Message { To = m.From, Term = Term, Type = MessageType.MsgVoteResp, Reject = true });
            }
            return;
        }

        switch (m.Type)
        {
            case MessageType.MsgHup:
                Hup();
                return;
            case MessageType.MsgVote or MessageType.MsgPreVote:
                HandleVoteRequest(m);
                return;
        }

        switch (Role)
        {
            case RaftRole.Leader: StepLeader(m); break;
            case RaftRole.Candidate or RaftRole.PreCandidate: StepCandidate(m); break;
            default: StepFollower(m); break;
        }
    }

    private void HandleVoteRequest(Message m)
    {
        var respType = m.Type == MessageType.MsgVote ? MessageType.MsgVoteResp : MessageType.MsgPreVoteResp;
        // We can vote for the node we already voted for (a retransmission), for anyone if we have not
        // voted and know no leader, and pre-vote for any future term.
        var canVote = Vote == m.From || (Vote == 0 && Lead == 0) || (m.Type == MessageType.MsgPreVote && m.Term > Term);
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            Send(new Message { To = m.From, Term = m.Term, Type = respType });
            if (m.Type == MessageType.MsgVote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new Message { To = m.From, Term = Term, Type = respType, Reject = true });
        }
    }

    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.MsgProp:
                // Dropped: the host forwards proposals to the leader itself (it keeps the waiter).
                return;
            case MessageType.MsgApp:
                _electionElapsed = 0;
                Lead = m.From;
                HandleAppendEntries(m);
                return;
            case MessageType.MsgHeartbeat:
                _electionElapsed = 0;
                Lead = m.From;
                HandleHeartbeat(m);
                return;
            case MessageType.MsgReadIndex:
                if (Lead == 0) return;
                m.To = Lead;
                Send(m);
                return;
            case MessageType.MsgReadIndexResp:
                if (m.Entries.Count != 1) return;
                _readStates.Add(new ReadState(m.Index, m.Entries[0].Data));
                return;
            case MessageType.MsgSnap:
                _electionElapsed = 0;
                Lead = m.From;
                HandleSnapshot(m);
                return;
            case MessageType.MsgTransferLeader:
                if (Lead == 0) return;
                m.To = Lead;
                Send(m);
                return;
            case MessageType.MsgTimeoutNow:
                HandleTimeoutNow();
                return;
        }
    }

    private void StepCandidate(Message m)
    {
        var myRespType = Role == RaftRole.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
        switch (m.Type)
        {
            case MessageType.MsgProp:
                return;
            case MessageType.MsgApp:
                BecomeFollower(m.Term, m.From);
                HandleAppendEntries(m);
                return;
            case MessageType.MsgHeartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                return;
            case MessageType.MsgSnap:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                return;
            case MessageType.MsgTimeoutNow:
                // Only a follower takes over on request; a candidate is already campaigning.
                return;
        }
        if (m.Type != myRespType) return;
        switch (Poll(m.From, !m.Reject))
        {
            case VoteResult.Won:
                if (Role == RaftRole.PreCandidate) Campaign(preVote: false);
                else BecomeLeader();
                break;
            case VoteResult.Lost:
                // Rejections are answered with the rejecter's term; if it was newer we already followed it.
                BecomeFollower(Term, 0);
                break;
        }
    }

    private void StepLeader(Message m)
    {
        switch (m.Type)
        {
            case MessageType.MsgBeat:
                BcastHeartbeat();
                return;
            case MessageType.MsgCheckQuorum:
                if (!QuorumActive()) BecomeFollower(Term, 0);
                foreach (var (id, peer) in _prs)
                    if (id != Id) peer.RecentActive = false;
                return;
            case MessageType.MsgProp:
                if (m.Entries.Count == 0) throw new RaftInvariantException("stepped an empty proposal");
                if (_leadTransferee != 0) return; // dropped during a transfer, as etcd does
                // Proposals are local: our hosts forward them as ForwardedProposals, which the leader's host
                // validates before proposing, never as raw MsgProp, so one from another member skipped that check.
                if (m.From != Id) return;
                for (var i = 0; i < m.Entries.Count; i++)
                {
                    var e = m.Entries[i];
                    if (e.Type != EntryType.EntryConfChange) continue;
                    // As etcd-io/raft does with a change it refuses, a conf change that may not enter the log
                    // becomes an empty entry: a second one while the first is unapplied (single-step changes),
                    // bytes that are not a conf change, or a change that does not apply to the configuration.
                    if (AcceptsConfChangeEntry(e)) _pendingConfIndex = _log.LastIndex + 1 + (ulong)i;
                    else { e.Type = EntryType.EntryNormal; e.Data = Google.Protobuf.ByteString.Empty; }
                }
                AppendEntries(m.Entries);
                BcastAppend();
                return;
            case MessageType.MsgTransferLeader:
                HandleTransferLeader(m.From);
                return;
            case MessageType.MsgReadIndex:
                if (m.Entries.Count != 1) return;
                HandleReadIndex(new ReadIndexRequest(_log.Committed, m.From, m.Entries[0].Data));
                return;
        }

        if (!_prs.TryGetValue(m.From, out var pr)) return;
        switch (m.Type)
        {
            case MessageType.MsgAppResp when m.From == Id:
                HandleSelfAppendAck(m.Index, pr);
                return;
            case MessageType.MsgAppResp:
                pr.RecentActive = true;
                HandleAppendResponse(m, pr);
                return;
            case MessageType.MsgHeartbeatResp:
                pr.RecentActive = true;
                pr.ProbeSent = false;
                // If every MsgApp in the window was lost the follower would stall forever; free one slot
                // so the next append goes out and its rejection (or ack) resynchronises us.
                if (pr.State == ProgressState.Replicate && pr.Inflights.Full) pr.Inflights.FreeFirstOne();
                // A caught-up peer still probing (e.g. after ReportUnreachable) gets an empty append, whose answer
                // takes it back to Replicate instead of waiting for the next proposal.
                if (pr.Match < _log.LastIndex || pr.State == ProgressState.Probe) SendAppend(m.From);
                HandleReadIndexAck(m);
                return;
        }
    }

    private bool QuorumActive()
    {
        var active = new Dictionary<ulong, bool>();
        foreach (var (id, pr) in _prs) active[id] = id == Id || pr.RecentActive;
        return _voters.Tally(active) == VoteResult.Won;
    }
}
