using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The Ready loop and group commit. Proposals wait in <c>_proposals</c> while a journal write is in flight;
/// when it completes, up to MaxBatchEntries of them are stepped into the core together and persisted as one
/// EntriesAppended in one write (one transaction, one fsync). PersistAllAsync keeps the actor responsive
/// meanwhile (ticks, peer messages, reads). A leader sends its appends before its own fsync, as etcd does,
/// so its disk write and the followers' overlap (only when the core says nothing in them vouches for this
/// member's disk: Ready.MaySendBeforePersist); everyone else sends only what is durable.
/// </summary>
public sealed partial class RaftActor
{
    private readonly List<PendingProposal> _inFlight = [];

    // The entries of the write in flight were already sent to followers: if the write fails they may still
    // be committed by the others, so their clients must not be told they failed for certain.
    private bool _inFlightLeftMember;

    // The hard state as last written (or recovered): term and vote changes must reach the journal.
    private HardState _persistedHard = new();
    private bool _readyScheduled;
    private bool _writeInFlight;
    private ulong _mvccApplied;

    private void ScheduleReady()
    {
        if (_readyScheduled) return;
        _readyScheduled = true;
        Self.Tell(ProcessReady.Instance);
    }

    private void OnProcessReady()
    {
        _readyScheduled = false;
        if (_node is null) return;
        FlushForwards();
        if (_writeInFlight || _installing is not null) return; // their completion reschedules
        DrainProposals();
        var save = _snapshotToSave;
        if (!_node.HasReady() && save is null) return;
        var rd = _node.HasReady() ? _node.GetReady() : null;
        _statReadies++;
        // The core switched membership as it handed the entries out; the edge must agree from now on.
        if (rd?.Config is { } config) _status.IsLearner = config.IsLearner(_memberId);
        if (rd?.Snapshot is not null)
        {
            BeginInstall(rd);
            return;
        }
        PersistReady(rd);
    }

    /// <summary>One atomic journal write for the Ready (and a due snapshot record); the rest runs once it is durable.</summary>
    private void PersistReady(Ready? rd)
    {
        var node = Node;
        var events = new List<object>(4);
        var save = _snapshotToSave;
        _snapshotToSave = null;
        if (save is not null)
        {
            events.Add(new SnapshotSaved { Metadata = save });
            // With the record, so journal deletion can never leave the log without its latest hard state.
            events.Add(new HardStateSaved { State = node.HardState });
        }
        if (rd?.Snapshot is { } installed)
        {
            events.Add(new SnapshotInstalled { Metadata = installed });
            _lastDurableIndex = installed.Index;
        }
        if (rd is { Entries.Count: > 0 })
        {
            var first = rd.Entries[0].Index;
            // Journals are append-only: a conflicting suffix is cut by a marker in the same atomic write.
            if (first <= _lastDurableIndex) events.Add(new LogTruncatedFrom { Index = first });
            var appended = new EntriesAppended();
            appended.Entries.AddRange(rd.Entries);
            events.Add(appended);
        }
        // Term and vote must be durable before anyone hears of them; the commit index need not be (etcd writes
        // a commit-only change without fsync): a member that forgets it re-learns it from the leader, and
        // entries once committed are never truncated, so the store applying them early is never undone. So a
        // Ready whose only news is the commit index costs no journal write; the commit rides along with the
        // next write that happens anyway.
        var hard = rd?.Snapshot is not null ? InstallHardState() : node.HardState;
        if (rd?.Snapshot is not null)
        {
            // Everything before SnapshotInstalled is deleted once it is durable, so the hard state must come after
            // it in this very write, changed or not.
            if (events[^1] is EntriesAppended last) last.State = hard;
            else events.Add(new HardStateSaved { State = hard });
            _persistedHard = hard;
        }
        else if (events.Count > 0 || hard.Term != _persistedHard.Term || hard.Vote != _persistedHard.Vote)
        {
            if (save is null && !hard.Equals(_persistedHard))
            {
                // Carried by the entries' own row when there is one.
                if (events.Count > 0 && events[^1] is EntriesAppended last) last.State = hard;
                else events.Add(new HardStateSaved { State = hard });
            }
            _persistedHard = hard;
        }

        // The core says when the messages may overlap our own fsync (a leader's appends and heartbeats of a
        // term already durable); it counts our own entries only in Advance, once this write is durable, so
        // nothing sent now carries a commit index that a crash of this member mid-write could undo.
        var sentEarly = false;
        if (rd is { MaySendBeforePersist: true })
        {
            SendMessages(rd.Messages);
            sentEarly = true;
        }
        _inFlightLeftMember = sentEarly;
        if (events.Count == 0)
        {
            OnReadyDurable(rd, sentEarly, null);
            return;
        }
        _writeInFlight = true;
        _statWrites++;
        // One AtomicWrite for the whole Ready; the deferred handler runs after it is durable.
        PersistAllAsync(events, OnEventPersisted);
        DeferAsync(new WriteDone(rd, sentEarly, save), d => OnReadyDurable(d.Ready, d.SentEarly, d.Saved));
    }

    /// <summary>What to finish once a journal write is durable.</summary>
    private sealed record WriteDone(Ready? Ready, bool SentEarly, SnapshotMetadata? Saved);

    private readonly List<Google.Protobuf.ByteString> _batch = [];

    /// <summary>
    /// Steps up to MaxBatchEntries queued proposals (and MaxBatchBytes) into the core as one batch: one append,
    /// one journal write, and one MsgApp per follower for all of them.
    /// </summary>
    private void DrainProposals()
    {
        var node = Node;
        if (node.Role != RaftRole.Leader || _proposals.Count == 0 || node.LeadTransferee != 0) return;
        long bytes = 0;
        _batch.Clear();
        foreach (var p in _proposals)
        {
            if (_batch.Count >= _settings.MaxBatchEntries) break;
            if (_batch.Count > 0 && bytes + p.Data.Length > _settings.MaxBatchBytes) break;
            _batch.Add(p.Data);
            bytes += p.Data.Length;
        }
        var first = node.LastIndex + 1;
        // Refused during a leader transfer: they stay queued for whoever leads next.
        if (!node.Propose(_batch)) return;
        for (var i = 0; i < _batch.Count; i++)
        {
            var p = _proposals.Dequeue();
            NoteAppended(first + (ulong)i, node.Term, p);
            _inFlight.Add(p);
        }
        _statProposed += _batch.Count;
        _batch.Clear();
    }

    private void OnReadyDurable(Ready? rd, bool sentEarly, SnapshotMetadata? saved)
    {
        _writeInFlight = false;
        _inFlight.Clear();
        if (saved is not null) OnSnapshotSaved(saved);
        var node = Node;
        if (rd is not null)
        {
            if (rd.Entries.Count > 0) _lastDurableIndex = rd.Entries[^1].Index;
            if (rd.SoftState is { } soft) OnSoftState(soft);
            if (rd.Config is { } config) OnConfigChanged(config);
            if (rd.CommittedEntries.Count > 0) NotePeersFromConfChanges(rd.CommittedEntries);
            if (!sentEarly) SendMessages(rd.Messages);
            if (rd.CommittedEntries.Count > 0)
                _mvcc.Tell(new MvccProtocol.ApplyCommitted(rd.CommittedEntries, node.Term), Self);
            foreach (var rs in rd.ReadStates) OnReadState(rs);
            node.Advance(rd);
            ForgetCommitted(node.CommitIndex);
        }
        if (_proposals.Count > 0 || _forwards.ToForwardCount > 0 || _snapshotToSave is not null || node.HasReady()) ScheduleReady();
    }

    private void OnSoftState(SoftState soft)
    {
        var node = Node;
        _log.Info("raft {0:x16} is {1} at term {2}, leader {3:x16}", _memberId, soft.Role, node.Term, soft.Lead);
        _status.SetLeader(soft.Lead, node.Term);
        Context.System.EventStream.Publish(new RaftProtocol.LeaderChanged(_memberId, soft.Lead, node.Term));
        BecomeRole(soft.Role);
        OnLeadershipChangedForTransfer(soft);
        OnRoleChangedForMembership(soft);
        if (soft.Role != RaftRole.Leader)
        {
            // Not yet in the log: they go to the next leader with the waiters kept where they are.
            while (_proposals.TryDequeue(out var p)) Hold(p);
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
