using Akka.Event;
using Akka.Actor;
using Akka.Persistence;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using SnapshotMetadata = Etcd.Api.Raftpb.SnapshotMetadata;

namespace Etcd.Actors.Raft;

/// <summary>
/// Snapshots, both ways.
/// <list type="bullet">
/// <item>Own: every SnapshotCount applied entries the backend is checkpointed (made durable), a SnapshotSaved
/// record with explicit metadata (index, term, membership) is written, and the journal rows before it that hold
/// nothing past that index are deleted. Disk use stays bounded; a restart replays only the tail.</item>
/// <item>Received: chunks from the leader go to a <see cref="SnapshotReceiverActor"/>; once the file is complete
/// and verified, the MsgSnap is stepped; the Ready that carries it has MvccStoreActor install the file (durably)
/// before the SnapshotInstalled record is written, so a crash in between leaves a backend ahead of the journal,
/// which re-applying skips, never one behind it.</item>
/// </list>
/// </summary>
public sealed partial class RaftActor
{
    private ulong _lastSnapshotIndex;
    private bool _snapshotInProgress;
    private SnapshotMetadata? _snapshotToSave;

    // Which journal rows may be deleted after a snapshot (JournalCompaction.cs).
    private readonly JournalCompaction _compaction = new();

    private Ready? _installing;
    private ulong _installCommit;
    private string? _installPath;
    private string? _snapshotFile;
    private IActorRef? _receiver;
    private ulong _receiverTransfer;

    private string SnapshotDir => _settings.SnapshotDirFor(_memberId);

    private bool OnSnapshotMessage(object message)
    {
        switch (message)
        {
            case SnapshotProtocol.Received r:
                OnSnapshotReceived(r);
                return true;
            case SnapshotProtocol.ReceiveFailed f:
                if (f.TransferId == _receiverTransfer) _receiver = null;
                _log.Warning("raft {0:x16}: snapshot transfer {1:x16} abandoned: {2}", _memberId, f.TransferId, f.Reason);
                return true;
            case SnapshotProtocol.Report r:
                Node.ReportSnapshot(r.To, r.Ok);
                ScheduleReady();
                return true;
            case MvccProtocol.Checkpointed c:
                OnCheckpointed(c);
                return true;
            case MvccProtocol.CheckpointFailed f:
                // Nothing is deleted on its account; the next applied batch tries again.
                _log.Warning("raft {0:x16}: backend checkpoint failed: {1}", _memberId, f.Reason);
                _snapshotInProgress = false;
                return true;
            case MvccProtocol.SnapshotInstalled i:
                OnInstalled(i);
                return true;
            case MvccProtocol.SnapshotFailed f when _installing is not null && f.Path == _installPath:
                // The core already replaced its log; nothing may continue in place. The new incarnation
                // recovers the old log from the journal and the leader sends the snapshot again.
                _log.Error("raft {0:x16}: installing the snapshot failed ({1}); restarting", _memberId, f.Reason);
                Context.Stop(Self);
                return true;
            case DeleteMessagesSuccess d:
                _log.Debug("raft {0:x16}: journal rows up to seqNr {1} deleted", _memberId, d.ToSequenceNr);
                return true;
            case DeleteMessagesFailure d:
                // Not fatal: the rows stay until the next snapshot deletes further.
                _log.Warning("raft {0:x16}: deleting journal rows up to {1} failed: {2}", _memberId, d.ToSequenceNr, d.Cause.Message);
                _compaction.DeleteFailed();
                return true;
            default:
                return false;
        }
    }

    private void OnApplied(MvccProtocol.Applied a)
    {
        if (a.Index > _mvccApplied) _mvccApplied = a.Index;
        CompactInMemoryLog();
        if (_membership.HasQueued && Node.Role == RaftRole.Leader) TryProposeMembership();
        if (_snapshotInProgress || _installing is not null) return;
        if (_mvccApplied < _lastSnapshotIndex + (ulong)_settings.SnapshotCount) return;
        _snapshotInProgress = true;
        _mvcc.Tell(new MvccProtocol.Checkpoint(), Self);
    }

    private void OnCheckpointed(MvccProtocol.Checkpointed c)
    {
        var node = Node;
        // Only what the backend has durably, and what the core still knows the term of.
        var index = Math.Min(c.ConsistentIndex, node.AppliedIndex);
        if (index <= _lastSnapshotIndex || index < node.Log.FirstIndex - 1)
        {
            _snapshotInProgress = false;
            return;
        }
        _snapshotToSave = node.SnapshotMetadataAt(index);
        ScheduleReady();
    }

    private void OnEventPersisted(object e)
    {
        switch (e)
        {
            case EntriesAppended ea when ea.Entries.Count > 0:
                _compaction.EntriesWritten(LastSequenceNr, ea.Entries[^1].Index);
                break;
            case SnapshotSaved:
                _compaction.SnapshotRecordWritten(LastSequenceNr);
                break;
            case SnapshotInstalled:
                // Everything before it belongs to a log the snapshot replaced.
                DeleteJournalTo(_compaction.InstalledWritten(LastSequenceNr));
                break;
        }
    }

    private void OnSnapshotSaved(SnapshotMetadata meta)
    {
        _lastSnapshotIndex = meta.Index;
        _snapshotInProgress = false;
        DeleteJournalTo(_compaction.SnapshotDurable(meta.Index));
        _log.Info("raft {0:x16}: snapshot at index {1} (term {2}); journal compacted to seqNr {3}", _memberId, meta.Index, meta.Term, _compaction.DeletedTo);
    }

    private void DeleteJournalTo(long? to)
    {
        if (to is { } seqNr) DeleteMessages(seqNr);
    }

    private void OnSnapshotChunk(SnapshotChunk c)
    {
        // Acks go to the sending member's gateway as we know it (the leader's MsgApp, which precedes any snapshot,
        // taught us its route), whose RaftActor hands them to its sender actor; the chunk's own sender ref is the
        // fallback only for a member with no route at all.
        var replyTo = _peers.TryGet(c.From, out var known) ? known : Sender;
        if (_receiver is not null && _receiverTransfer != c.TransferId)
        {
            // A newer transfer (another leader, or a retry) supersedes the one in progress.
            Context.Stop(_receiver);
            _receiver = null;
        }
        if (_receiver is null)
        {
            if (c.Offset != 0)
            {
                var ack = new SnapshotChunkAck { TransferId = c.TransferId, From = _memberId, Failed = true, Reason = "unknown transfer" };
                replyTo.Tell(new PeerEnvelope { ClusterId = _clusterId, To = c.From, From = _memberId, ChunkAck = ack }, Self);
                return;
            }
            _receiverTransfer = c.TransferId;
            _receiver = Context.ActorOf(SnapshotReceiverActor.Props(_settings, _memberId, _clusterId, SnapshotDir, c.TransferId), $"snapshot-in-{c.TransferId:x16}");
        }
        _receiver.Tell(new SnapshotProtocol.Chunk(c, replyTo), Self);
    }

    private void OnSnapshotReceived(SnapshotProtocol.Received r)
    {
        if (r.TransferId == _receiverTransfer) _receiver = null;
        var node = Node;
        node.Step(r.Snap);
        if (node.PendingSnapshotIndex is { } pending && pending == r.Snap.Snapshot?.Metadata?.Index)
        {
            // This file's snapshot is the one to install now; one received before it is superseded.
            if (_snapshotFile is not null && _snapshotFile != r.Path) DurableFiles.TryDeleteSqlite(_snapshotFile);
            _snapshotFile = r.Path;
        }
        else
        {
            // Refused (we had it, or it is not newer than what is pending or committed): keep what is pending.
            DurableFiles.TryDeleteSqlite(r.Path);
        }
        ScheduleReady();
    }

    private void BeginInstall(Ready rd)
    {
        var path = _snapshotFile ?? throw new RaftInvariantException($"a snapshot at {rd.Snapshot!.Index} was restored without its data");
        _snapshotFile = null;
        // The leader's snapshot supersedes one of our own that was about to be recorded (it is older), and its
        // record must not share the install's write: that write deletes every row before SnapshotInstalled.
        _snapshotToSave = null;
        _snapshotInProgress = false;
        _installing = rd;
        _installCommit = Node.CommitIndex;
        _installPath = path;
        _log.Info("raft {0:x16}: installing snapshot at index {1} (term {2})", _memberId, rd.Snapshot!.Index, rd.Snapshot.Term);
        _mvcc.Tell(new MvccProtocol.InstallSnapshot(path), Self);
    }

    private void OnInstalled(MvccProtocol.SnapshotInstalled i)
    {
        if (_installing is not { Snapshot: { } meta } rd) return;
        if (i.ConsistentIndex < meta.Index)
            throw new RaftInvariantException($"installed backend is at {i.ConsistentIndex}, behind the snapshot index {meta.Index}");
        _installing = null;
        _installPath = null;
        if (i.ConsistentIndex > _mvccApplied) _mvccApplied = i.ConsistentIndex;
        _lastSnapshotIndex = meta.Index;
        _mvcc.Tell(new MvccProtocol.GetMembers(Self));
        PersistReady(rd);
    }

    /// <summary>
    /// The hard state written with the install. Peer messages are stepped while the store installs, so by now the
    /// core may have taken a newer term or vote (kept: nothing may undo a vote) and appended and committed entries
    /// that this write does not hold (left out: a commit index past the durable log fails every recovery, and past
    /// entries the core has since replaced it would vouch for the wrong ones). The commit index of the Ready is the
    /// one its own entries and snapshot account for, as etcd-io/raft writes a Ready's snapshot and hard state together.
    /// </summary>
    private HardState InstallHardState()
    {
        var node = Node;
        return new HardState { Term = node.Term, Vote = node.Vote, Commit = Math.Min(_installCommit, node.CommitIndex) };
    }

    private void CleanSnapshotDir()
    {
        try
        {
            if (!Directory.Exists(SnapshotDir)) return;
            foreach (var f in Directory.EnumerateFiles(SnapshotDir)) DurableFiles.TryDeleteSqlite(f);
        }
        catch (IOException e)
        {
            _log.Warning("raft {0:x16}: could not clean {1}: {2}", _memberId, SnapshotDir, e.Message);
        }
    }
}
