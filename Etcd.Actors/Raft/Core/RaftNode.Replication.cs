using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

public sealed partial class RaftNode
{
    private bool CommittedEntryInCurrentTerm => _log.Term(_log.Committed) == Term;

    private void AppendEntries(IEnumerable<Entry> entries)
    {
        var index = _log.LastIndex;
        var batch = new List<Entry>();
        foreach (var e in entries)
        {
            e.Term = Term;
            e.Index = ++index;
            batch.Add(e);
        }
        _log.Append(batch);
        // The leader's own log counts towards the quorum only once it is durable (Raft thesis §3.8: entries are
        // persisted before they are counted towards commitment). Counting them now would let a single voter
        // commit, and tell its learners so in the MsgApp its host sends before its own fsync, entries that a
        // crash mid-write loses. So the leader acknowledges its own append as a follower would, with a
        // MsgAppResp to itself that the core steps only in Advance of the Ready that persisted the entries
        // (etcd-io/raft 3.6's self-ack through msgsAfterAppend). A leader just removed from the configuration
        // has no progress of its own and no say in the quorum.
        if (_prs.ContainsKey(Id)) Send(new Message { To = Id, Type = MessageType.MsgAppResp, Index = _log.LastIndex });
    }

    /// <summary>The leader's own entries up to <paramref name="index"/> are durable: count them, as a follower's ack.</summary>
    private void HandleSelfAppendAck(ulong index, Progress self)
    {
        if (index > _log.DurableLastIndex) throw new RaftInvariantException($"self-acknowledged {index} beyond the durable log {_log.DurableLastIndex}");
        if (self.MaybeUpdate(index) && MaybeCommit()) BcastAppend();
    }

    private bool MaybeCommit()
    {
        var hadCurrentTermCommit = CommittedEntryInCurrentTerm;
        var quorumIndex = _voters.CommittedIndex(id => _prs.TryGetValue(id, out var p) ? p.Match : 0);
        if (!_log.MaybeCommit(quorumIndex, Term)) return false;
        if (!hadCurrentTermCommit && CommittedEntryInCurrentTerm) ReleasePendingReadIndex();
        return true;
    }

    private void BcastAppend()
    {
        foreach (var id in _prs.Keys)
            if (id != Id) SendAppend(id);
    }

    /// <summary>Sends entries from the peer's Next; returns false if nothing was sent (paused, or empty and not forced).</summary>
    private bool SendAppend(ulong to, bool sendIfEmpty = true)
    {
        var pr = _prs[to];
        if (pr.IsPaused) return false;
        var prevIndex = pr.Next - 1;
        // Entries compacted away: only a snapshot can bring this follower up to date.
        if (pr.Next < _log.FirstIndex || _log.Term(prevIndex) is not { } prevTerm) return SendSnapshot(to, pr);
        var entries = _log.Slice(pr.Next, _log.LastIndex + 1, _cfg.MaxEntriesPerMsg, _cfg.MaxBytesPerMsg);
        if (entries.Count == 0 && !sendIfEmpty) return false;
        var m = new Message { To = to, Type = MessageType.MsgApp, Index = prevIndex, LogTerm = prevTerm, Commit = _log.Committed };
        m.Entries.AddRange(entries);
        Send(m);
        if (pr.State == ProgressState.Replicate && entries.Count > 0)
        {
            var last = entries[^1].Index;
            pr.OptimisticUpdate(last);
            pr.Inflights.Add(last);
        }
        else if (pr.State == ProgressState.Probe)
        {
            pr.ProbeSent = true;
        }
        return true;
    }

    private void HandleAppendResponse(Message m, Progress pr)
    {
        if (m.Reject)
        {
            if (pr.MaybeDecrTo(m.Index, m.RejectHint))
            {
                if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
                SendAppend(m.From);
            }
            return;
        }
        var wasPaused = pr.IsPaused;
        // An answer that confirms what a probing peer is known to have also ends the probe (etcd-io/raft does the same).
        if (!pr.MaybeUpdate(m.Index) && !(pr.Match == m.Index && pr.State == ProgressState.Probe)) return;
        if (pr.State == ProgressState.Probe) pr.BecomeReplicate();
        else if (pr.State == ProgressState.Snapshot)
        {
            // The follower has installed the snapshot (or caught up otherwise): stream from there.
            if (pr.Match < pr.PendingSnapshot) return;
            pr.BecomeProbe();
            pr.BecomeReplicate();
        }
        else pr.Inflights.FreeLE(m.Index);

        // A transferee that has caught up is told to take over now.
        if (m.From == _leadTransferee && pr.Match == _log.LastIndex) SendTimeoutNow(m.From);

        if (MaybeCommit()) BcastAppend();
        else if (wasPaused) SendAppend(m.From);
        // Keep streaming while the follower has room in its inflight window.
        while (SendAppend(m.From, sendIfEmpty: false))
        {
        }
    }

    private void BcastHeartbeat()
    {
        var ctx = _readOnly.LastPendingContext;
        foreach (var id in _prs.Keys)
            if (id != Id) SendHeartbeat(id, ctx);
    }

    private void SendHeartbeat(ulong to, ByteString? context)
    {
        // Never tell a follower to commit beyond what it is known to have: it may not have those entries.
        var commit = Math.Min(_prs[to].Match, _log.Committed);
        Send(new Message { To = to, Type = MessageType.MsgHeartbeat, Commit = commit, Context = context ?? ByteString.Empty });
    }

    private void HandleAppendEntries(Message m)
    {
        if (m.Index < _log.Committed)
        {
            Send(new Message { To = m.From, Type = MessageType.MsgAppResp, Index = _log.Committed });
            return;
        }
        if (_log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries) is { } lastNew)
        {
            Send(new Message { To = m.From, Type = MessageType.MsgAppResp, Index = lastNew });
        }
        else
        {
            Send(new Message { To = m.From, Type = MessageType.MsgAppResp, Index = m.Index, Reject = true, RejectHint = _log.LastIndex });
        }
    }

    private void HandleHeartbeat(Message m)
    {
        _log.CommitTo(m.Commit);
        Send(new Message { To = m.From, Type = MessageType.MsgHeartbeatResp, Context = m.Context });
    }

    private void HandleReadIndex(ReadIndexRequest req)
    {
        if (!CommittedEntryInCurrentTerm)
        {
            _pendingReadIndex.Add(req);
            return;
        }
        var confirmed = new ReadIndexRequest(_log.Committed, req.From, req.Context);
        if (IsSingleVoter)
        {
            // Nobody else can have committed anything: our commit index is the read index.
            RespondToReadIndex(confirmed);
            return;
        }
        // A retry of a request still pending joins it: its answer is on the way once a quorum acknowledges.
        if (_readOnly.Add(confirmed.Index, confirmed.From, confirmed.Context) is not { } queued) return;
        var round = ReadOnlyQueue.RoundContext(queued.Round);
        _readOnly.RecvAck(Id, round);
        foreach (var id in _prs.Keys)
            if (id != Id) SendHeartbeat(id, round);
    }

    private void HandleReadIndexAck(Message m)
    {
        // Only voters confirm leadership; a learner's heartbeat answer proves nothing about the quorum.
        if (m.Context.IsEmpty || !_config.IsVoter(m.From)) return;
        if (_readOnly.RecvAck(m.From, m.Context) == 0) return;
        // Count the current voters only (as etcd-io/raft's VoteResult over the voters does): the leader's own
        // ack counts only while it is a voter, since a leader removed from the configuration keeps leading
        // until it steps down, and an ack recorded before a member was removed no longer counts.
        var votes = _readOnly.AcksOf(m.Context).ToDictionary(id => id, _ => true);
        if (_voters.Tally(votes) != VoteResult.Won) return;
        foreach (var req in _readOnly.Advance(m.Context)) RespondToReadIndex(req);
    }

    private void ReleasePendingReadIndex()
    {
        if (_pendingReadIndex.Count == 0) return;
        var pending = _pendingReadIndex.TakeAll();
        foreach (var req in pending) HandleReadIndex(req);
    }

    private void RespondToReadIndex(ReadIndexRequest req)
    {
        if (req.From == 0 || req.From == Id)
        {
            _readStates.Add(new ReadState(req.Index, req.Context));
            return;
        }
        var m = new Message { To = req.From, Type = MessageType.MsgReadIndexResp, Index = req.Index };
        m.Entries.Add(new Entry { Data = req.Context });
        Send(m);
    }
}
