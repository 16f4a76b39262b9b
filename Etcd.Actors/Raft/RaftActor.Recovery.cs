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
    // Replay's accumulator (RecoveredLog.cs); dropped once the core has started from it.
    private RecoveredLog? _recovery;

    /// <summary>Index of the last entry known durable in the journal; an append at or below it is a truncation.</summary>
    private ulong _lastDurableIndex;

    protected override void OnRecover(object message)
    {
        var log = _recovery ??= new RecoveredLog(PersistenceId);
        switch (message)
        {
            case HardStateSaved h:
                log.HardStateSaved(h.State);
                break;
            case EntriesAppended e:
                log.Appended(e.Entries, e.State);
                if (e.Entries.Count > 0) _compaction.EntriesWritten(LastSequenceNr, e.Entries[^1].Index);
                break;
            case LogTruncatedFrom t:
                log.TruncatedFrom(t.Index);
                break;
            case SnapshotSaved s:
                log.SnapshotSaved(s.Metadata);
                _lastSnapshotIndex = s.Metadata.Index;
                break;
            case SnapshotInstalled s:
                log.SnapshotInstalled(s.Metadata);
                _lastSnapshotIndex = s.Metadata.Index;
                _compaction.Installed(LastSequenceNr);
                break;
            case RecoveryCompleted:
                StartNode(log);
                _recovery = null;
                break;
        }
    }

    private void StartNode(RecoveredLog log)
    {
        var recovered = log.Finish();
        var empty = log.IsEmpty;
        var config = new RaftConfig
        {
            Id = _memberId,
            // A log written before membership lived in conf change entries (an earlier single-node version)
            // starts with a normal entry: its voters are the bootstrap members.
            Voters = !empty && recovered.Snapshot is null && recovered.Entries is [{ Type: EntryType.EntryNormal }, ..] && _member.Bootstrap is { } legacy
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
        _lastDurableIndex = log.LastIndex;
        _node = empty && _member.Bootstrap is { Count: > 0 } peers
            ? RaftNode.Bootstrap(config, peers)
            : RaftNode.Create(config, recovered);
        var how = empty ? (_member.Bootstrap is null ? "joining" : "bootstrapped") : "recovered";
        _log.Info($"raft {_memberId:x16} {how}: term={recovered.HardState.Term} commit={recovered.HardState.Commit} last={_lastDurableIndex} " +
                  $"entries={recovered.Entries.Count} snapshot={recovered.Snapshot?.Index ?? 0}");
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
