using Akka.Event;
using Akka.Persistence;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using SnapshotMetadata = Etcd.Api.Raftpb.SnapshotMetadata;

namespace Etcd.Actors.Raft;

/// <summary>
/// Replay: hard state, entries (with truncation markers honoured) and snapshot records rebuild exactly the
/// log that was durable. A new cluster's member with an empty journal bootstraps from its initial members.
/// </summary>
public sealed partial class RaftActor
{
    private HardState _recoveredHard = new();
    private List<Entry> _recoveredEntries = [];
    private SnapshotMetadata? _recoveredSnapshot;

    /// <summary>Index of the last entry known durable in the journal; an append at or below it is a truncation.</summary>
    private ulong _lastDurableIndex;

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case HardStateSaved h:
                _recoveredHard = h.State ?? new HardState();
                break;
            case EntriesAppended e:
                RecoverEntries(e.Entries);
                if (e.State is { } state) _recoveredHard = state;
                if (e.Entries.Count > 0) _journalEntries.Add((LastSequenceNr, e.Entries[^1].Index));
                break;
            case LogTruncatedFrom t:
                _recoveredEntries.RemoveAll(x => x.Index >= t.Index);
                break;
            case SnapshotSaved s:
                // Our own snapshot: entries after it stay.
                _recoveredSnapshot = s.Metadata;
                _recoveredEntries.RemoveAll(x => x.Index <= s.Metadata.Index);
                _lastSnapshotIndex = s.Metadata.Index;
                break;
            case SnapshotInstalled s:
                // The leader's snapshot replaced the whole log, including any tail beyond it.
                _recoveredSnapshot = s.Metadata;
                _recoveredEntries.Clear();
                _lastSnapshotIndex = s.Metadata.Index;
                _installedSeqNr = LastSequenceNr;
                _journalEntries.RemoveAll(x => x.SeqNr < LastSequenceNr);
                break;
            case RecoveryCompleted:
                StartNode();
                break;
        }
    }

    private void RecoverEntries(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        var snapIndex = _recoveredSnapshot?.Index ?? 0;
        var first = entries[0].Index;
        // A batch that starts at or below the current tail replaces it (truncation markers are always
        // written, but an overlapping batch must never leave two versions of one index).
        if (_recoveredEntries.Count > 0 && first <= _recoveredEntries[^1].Index)
            _recoveredEntries.RemoveAll(x => x.Index >= first);
        // After a snapshot's journal compaction the rows start mid-log, before the SnapshotSaved record that
        // explains them (the row straddling the snapshot index is kept): the first batch sets the start, and
        // StartNode checks that a snapshot accounts for everything before it.
        var expected = _recoveredEntries.Count > 0 ? _recoveredEntries[^1].Index + 1
            : _recoveredSnapshot is null ? first : snapIndex + 1;
        foreach (var e in entries)
        {
            if (e.Index <= snapIndex) continue;
            if (e.Index != expected)
                throw new RaftInvariantException($"journal of {PersistenceId} has a gap: expected index {expected}, found {e.Index}");
            _recoveredEntries.Add(e);
            expected++;
        }
    }

    private void StartNode()
    {
        var startsAt = _recoveredSnapshot?.Index + 1 ?? 1;
        if (_recoveredEntries.Count > 0 && _recoveredEntries[0].Index != startsAt)
            throw new RaftInvariantException(
                $"journal of {PersistenceId} starts at index {_recoveredEntries[0].Index} but its snapshot covers only up to {startsAt - 1}");
        var empty = _recoveredEntries.Count == 0 && _recoveredSnapshot is null && _recoveredHard.Term == 0;
        var config = new RaftConfig
        {
            Id = _memberId,
            // A log written before membership lived in conf change entries (an earlier single-node version)
            // starts with a normal entry: its voters are the bootstrap members.
            Voters = !empty && _recoveredSnapshot is null && _recoveredEntries is [{ Type: EntryType.EntryNormal }, ..] && _member.Bootstrap is { } legacy
                ? legacy.Select(c => c.NodeId).ToArray()
                : [],
            ElectionTick = _settings.ElectionTick,
            HeartbeatTick = _settings.HeartbeatTick,
            MaxEntriesPerMsg = _settings.MaxEntriesPerMsg,
            MaxBytesPerMsg = _settings.MaxBytesPerMsg,
            MaxInflightMsgs = _settings.MaxInflightMsgs,
            PreVote = _settings.PreVote,
            CheckQuorum = _settings.CheckQuorum,
            // Actors may use real randomness; the core only sees it through the seeded source.
            Random = new SeededRandomSource((ulong)Random.Shared.NextInt64() ^ _memberId),
        };
        var recovered = new RaftRecoveredState(_recoveredHard, _recoveredEntries, _recoveredSnapshot);
        _lastDurableIndex = _recoveredEntries.Count > 0 ? _recoveredEntries[^1].Index : _recoveredSnapshot?.Index ?? 0;
        _node = empty && _member.Bootstrap is { Count: > 0 } peers
            ? RaftNode.Bootstrap(config, peers)
            : RaftNode.Create(config, recovered);
        var how = empty ? (_member.Bootstrap is null ? "joining" : "bootstrapped") : "recovered";
        _log.Info($"raft {_memberId:x16} {how}: term={_recoveredHard.Term} commit={_recoveredHard.Commit} last={_lastDurableIndex} " +
                  $"entries={_recoveredEntries.Count} snapshot={_recoveredSnapshot?.Index ?? 0}");
        _recoveredEntries = [];
        _status.IsLearner = _node.IsLearner;
        // A restarted RaftActor starts as a follower knowing no leader; the core reports no soft state for that
        // (it is its initial state), so the edge must not keep the leader its previous incarnation saw.
        _status.SetLeader(_node.Lead, _node.Term);
        _removal.Recovered(_node.Config.Contains(_memberId));
        CleanSnapshotDir();
        BecomeRole(_node.Role);
        Timers.StartPeriodicTimer("raft-tick", Tick.Instance, _settings.TickInterval);
        ScheduleReady();
        // The guardian bounds recoveries that fail in a row; this one did not.
        Context.Parent.Tell(new RecoveryProtocol.Recovered(_memberId), Self);
    }
}
