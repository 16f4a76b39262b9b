using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The Ready loop and group commit (its state is <see cref="WriteCycle"/>). Proposals wait in
/// <see cref="ProposalBatcher"/> while a journal write is in flight;
/// when it completes, up to MaxBatchEntries of them are stepped into the core together and persisted as one
/// EntriesAppended in one write (one transaction, one fsync). PersistAllAsync keeps the actor responsive
/// meanwhile (ticks, peer messages, reads). A leader sends its appends before its own fsync, as etcd does,
/// so its disk write and the followers' overlap (only the messages in which the core says nothing vouches for this
/// member's disk: Ready.MessagesBeforePersist); everything else goes only once it is durable. Only a Ready that
/// must be durable (Ready.MustSync) or a due snapshot record is written at all.
/// </summary>
public sealed partial class RaftActor
{
    private ulong _mvccApplied;

    private void ScheduleReady()
    {
        if (_write.Schedule()) Self.Tell(ProcessReady.Instance);
    }

    private void OnProcessReady()
    {
        _write.Run();
        if (_node is null) return;
        FlushForwards();
        if (_write.InFlight || _installing is not null) return; // their completion reschedules
        DrainProposals();
        var save = _snapshotToSave;
        if (!_node.HasReady() && save is null) return;
        var rd = _node.HasReady() ? _node.GetReady() : null;
        // The core switched membership as it handed the entries out; the edge must agree from now on.
        if (rd?.Config is { } config) _status.IsLearner = config.IsLearner(_memberId);
        if (rd?.Snapshot is not null)
        {
            BeginInstall(rd);
            return;
        }
        // Before anything is sent: the appends sent ahead of this member's own fsync tell followers this commit index,
        // so a follower may apply a lease grant and forward its renewal here before this write is durable; the lease
        // manager waits for the store to apply up to MemberStatus.Commit, which must already be at least that.
        if (rd is not null) _status.SetCommit(Node.CommitIndex);
        PersistReady(rd);
    }

    /// <summary>
    /// One atomic journal write for the Ready (and a due snapshot record), only what must be durable
    /// (<see cref="JournalWrite"/>); the rest runs once it is durable, at once when nothing had to be written.
    /// </summary>
    private void PersistReady(Ready? rd)
    {
        var save = _snapshotToSave;
        _snapshotToSave = null;
        // A snapshot install writes the term and vote of now with the commit index of when it started
        // (RaftActor.Snapshot.cs, InstallHardState): what was stepped meanwhile is not in this write.
        var hard = rd?.Snapshot is not null ? InstallHardState() : Node.HardState;
        var events = JournalWrite.Events(rd, save, hard, _lastDurableIndex);
        if (rd?.Snapshot is { } installed) _lastDurableIndex = installed.Index;

        // The core says per message which may overlap our own fsync (a leader's appends and heartbeats of a term
        // already durable); it counts our own entries only in Advance, once this write is durable, so nothing sent
        // now carries a commit index that a crash of this member mid-write could undo. The rest go once it is.
        _write.Begin(sentEarly: rd is { MessagesBeforePersist.Count: > 0 });
        if (rd is not null) SendMessages(rd.MessagesBeforePersist);
        if (events.Count == 0)
        {
            OnReadyDurable(rd, null);
            return;
        }
        _write.Write();
        // One AtomicWrite for the whole Ready; the deferred handler runs after it is durable.
        PersistAllAsync(events, OnEventPersisted);
        DeferAsync(new WriteDone(rd, save), d => OnReadyDurable(d.Ready, d.Saved));
    }

    /// <summary>What to finish once a journal write is durable.</summary>
    private sealed record WriteDone(Ready? Ready, SnapshotMetadata? Saved);

    /// <summary>
    /// Steps the next batch of queued proposals (<see cref="ProposalBatcher"/>) into the core: one append, one
    /// journal write, and one MsgApp per follower for all of them. Refused during a leader transfer: they stay
    /// queued for whoever leads next.
    /// </summary>
    private void DrainProposals()
    {
        var node = Node;
        if (node.Role != RaftRole.Leader || _requests.Batcher.Count == 0 || node.LeadTransferee != 0) return;
        // Leader again in a later term since they were queued: bound to the earlier leadership, they are not appended.
        foreach (var p in _requests.Batcher.DropTermBound(node.Term)) DropTermBound(p.Id, p.LeaderTerm);
        var first = node.LastIndex + 1;
        if (!node.Propose(_requests.Batcher.NextBatch())) return;
        var appended = _requests.Batcher.TakeBatch();
        _requests.Appended.Appended(first, node.Term, appended);
        _write.Carry(appended);
    }

    private void OnReadyDurable(Ready? rd, SnapshotMetadata? saved)
    {
        _write.Durable();
        if (saved is not null) OnSnapshotSaved(saved);
        var node = Node;
        if (rd is not null)
        {
            if (rd.Entries.Count > 0) _lastDurableIndex = rd.Entries[^1].Index;
            if (rd.SoftState is { } soft) OnSoftState(soft);
            if (rd.Config is { } config) OnConfigChanged(config);
            if (rd.CommittedEntries.Count > 0) NotePeersFromConfChanges(rd.CommittedEntries);
            SendMessages(rd.MessagesAfterPersist);
            if (rd.CommittedEntries.Count > 0)
            {
                // Before the store can apply them: what the lease manager waits for before a renewal (MemberStatus.Commit),
                // set already when the Ready was taken, to the node's commit index then (never lower than this).
                if (rd.CommittedEntries[^1].Index > _status.Commit) _status.SetCommit(rd.CommittedEntries[^1].Index);
                _mvcc.Tell(new MvccProtocol.ApplyCommitted(rd.CommittedEntries, node.Term), Self);
            }
            foreach (var rs in rd.ReadStates) OnReadState(rs);
            node.Advance(rd);
            ForgetCommitted(node.CommitIndex);
        }
        if (_requests.Batcher.Count > 0 || _requests.Forwards.ToForwardCount > 0 || _snapshotToSave is not null || node.HasReady()) ScheduleReady();
    }

    /// <summary>
    /// Proposals appended as leader are decided once the commit index reaches them: ours complete when the store
    /// applies them; one whose index now holds another term's entry is lost, refused at once with "leader changed"
    /// (<see cref="AppendedProposals"/> says why the verdict must wait for the commit).
    /// </summary>
    private void ForgetCommitted(ulong commit)
    {
        if (_requests.Appended.Decide(commit, index => Node.Log.Term(index)) is { } lost) RefuseAll(lost, EtcdErrors.LeaderChanged);
    }

    private void OnSoftState(SoftState soft)
    {
        var node = Node;
        _log.Info("raft {0:x16} is {1} at term {2}, leader {3:x16}", _memberId, soft.Role, node.Term, soft.Lead);
        _status.SetLeader(soft.Lead, node.Term, soft.LeadStart);
        Context.System.EventStream.Publish(new RaftProtocol.LeaderChanged(_memberId, soft.Lead, node.Term, soft.LeadStart));
        BecomeRole(soft.Role);
        OnLeadershipChangedForTransfer(soft);
        OnRoleChangedForMembership(soft);
        if (soft.Role != RaftRole.Leader)
        {
            // Not yet in the log: they go to the next leader with the waiters kept where they are.
            foreach (var p in _requests.Batcher.TakeAll())
            {
                if (p.LeaderTerm != 0) DropTermBound(p.Id, p.LeaderTerm);
                else Hold(p);
            }
        }
        if (soft.Lead != 0)
        {
            ReleaseHeld();
            OnLeaderKnownForReads();
        }
    }

    /// <summary>Forget applied entries beyond the retention, in steps of a quarter of it (RemoveRange is O(n)).</summary>
    private void CompactInMemoryLog()
    {
        var node = Node;
        var keep = (ulong)_settings.InMemoryLogEntries;
        var upTo = Math.Min(_mvccApplied, node.AppliedIndex);
        if (upTo <= keep || upTo - keep < node.Log.FirstIndex + keep / 4) return;
        node.CompactLog(upTo - keep);
    }
}
