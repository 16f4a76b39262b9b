using Akka.Persistence;
using Akka.Event;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using SnapshotMetadata = Etcd.Api.Raftpb.SnapshotMetadata;

namespace Etcd.Actors.Raft;

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
                break;
            case LogTruncatedFrom t:
                _recoveredEntries.RemoveAll(x => x.Index >= t.Index);
                break;
            case SnapshotInstalled s:
                _recoveredSnapshot = s.Metadata;
                _recoveredEntries.RemoveAll(x => x.Index <= s.Metadata.Index);
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
        var expected = (_recoveredEntries.Count > 0 ? _recoveredEntries[^1].Index : snapIndex) + 1;
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
        var config = new RaftConfig
        {
            Id = _memberId,
            Voters = _voters,
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
        _node = RaftNode.Create(config, recovered);
        _log.Info("raft {0:x16} recovered: term={1} commit={2} last={3} entries={4}",
            _memberId, _recoveredHard.Term, _recoveredHard.Commit, _lastDurableIndex, _recoveredEntries.Count);
        _recoveredEntries = [];
        Timers.StartPeriodicTimer("raft-tick", Tick.Instance, _settings.TickInterval);
        ScheduleReady();
    }
}
