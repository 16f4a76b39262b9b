using Akka.Actor;
using Akka.Event;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Raft snapshots of the backend. Every batch is committed before the actor takes its next message, so between
/// messages the backend file holds exactly the state at the applied index: a copy taken here is consistent
/// without any locking, and an install happens between two batches.
/// </summary>
public sealed partial class MvccStoreActor
{
    /// <summary>
    /// The copy runs on its own read connection off the actor's thread: copying a large backend takes seconds,
    /// and the leader's store must go on applying and serving reads meanwhile. Every batch is committed when this
    /// message is taken, so the copy holds at least everything applied so far (the reply says exactly what).
    /// </summary>
    private void HandleCreateSnapshot(MvccProtocol.CreateSnapshot msg)
    {
        var path = Path.GetFullPath(msg.Path);
        var source = Path.GetFullPath(_backendPath);
        var log = _log;
        Task.Run(() =>
        {
            try
            {
                var dir = Path.GetDirectoryName(path);
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                DurableFiles.DeleteSqlite(path); // VACUUM INTO refuses an existing file
                var index = SqliteBackend.CopyCommitted(source, path);
                var size = new FileInfo(path).Length;
                log.Info("created backend snapshot {0} at consistent index {1} ({2} bytes)", path, index, size);
                return (object)new MvccProtocol.SnapshotCreated(msg.Path, index, size);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                log.Warning("backend snapshot {0} failed: {1}", path, ex.Message);
                DurableFiles.TryDeleteSqlite(path);
                return new MvccProtocol.SnapshotFailed(msg.Path, ex.Message);
            }
        }).PipeTo(Sender);
    }

    private void HandleInstallSnapshot(MvccProtocol.InstallSnapshot msg)
    {
        if (!FromCurrentRaft)
        {
            _log.Warning("refused backend snapshot {0} from {1}, which is not the current raft incarnation", msg.Path, Sender);
            Sender.Tell(new MvccProtocol.SnapshotFailed(msg.Path, "not the current raft incarnation"));
            return;
        }
        var source = Path.GetFullPath(msg.Path);
        var target = Path.GetFullPath(_backendPath);
        var staged = target + ".installing";
        ulong index;
        try
        {
            if (source == target) throw new InvalidDataException("the snapshot is the backend itself");
            index = SqliteBackend.Inspect(source);
            if (index <= _applied)
            {
                // Already ahead (a crash between an earlier install's rename and RaftActor's SnapshotInstalled
                // record, then an older snapshot from the leader): the backend already holds everything the file
                // does, and re-applying the entries after it skips them. Refusing would restart RaftActor, which
                // would be offered the same snapshot again, forever.
                _log.Info("backend snapshot {0} at index {1} is not past the applied index {2}; kept the backend", source, index, _applied);
                DurableFiles.TryDeleteSqlite(source);
                Sender.Tell(new MvccProtocol.SnapshotInstalled(_applied));
                return;
            }
            // Empty the WAL into the old file first, so nothing of the old history is left beside the new file.
            _backend.Checkpoint(truncate: true);
            // Stage next to the backend so the final step is one rename on one file system (a move across file
            // systems is a copy, which is why the staged file is synced before anything is replaced).
            DurableFiles.DeleteSqlite(staged);
            File.Move(source, staged);
            DurableFiles.SyncFile(staged);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException
                                       or SqliteException or InvalidOperationException)
        {
            _log.Warning("refused backend snapshot {0}: {1}", source, ex.Message);
            DurableFiles.TryDeleteSqlite(staged);
            Sender.Tell(new MvccProtocol.SnapshotFailed(msg.Path, ex.Message));
            return;
        }

        var previous = _applied;
        // Open ranges read the backend being replaced: they begin again on the new one (a newer state than their
        // read index asked for, which a linearizable read may answer with).
        RestartOpenRanges();
        _backend.Dispose();
        try
        {
            DurableFiles.ReplaceSqliteFile(staged, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The old backend is still in place (the rename is the only step that changes it): carry on with it.
            _log.Error(ex, "installing backend snapshot {0} failed; keeping the current backend", source);
            OpenStore();
            Sender.Tell(new MvccProtocol.SnapshotFailed(msg.Path, ex.Message));
            return;
        }

        // The entries the snapshot stands for were never applied here, so the token changes they made (a user deleted,
        // a password changed, auth disabled) never reached this member's tokens: drop them all; clients log in again
        // on "invalid auth token". etcd 3.4's authStore.Recover keeps them (the same gap). Dropped before OpenStore
        // publishes the new auth state: an edge that reads the new auth revision can no longer find an old token
        // (it reads the revision first), so an old session cannot pass as current.
        _authGate?.ClearTokens();
        // A failure to open what was just installed is a crash: the restarted actor opens it again.
        OpenStore();
        _log.Info("installed backend snapshot at consistent index {0} (was {1}): revision {2}, {3} keys, {4} members",
            _applied, previous, _store.CurrentRevision, _store.IndexedKeys, _members.Count);
        Sender.Tell(new MvccProtocol.SnapshotInstalled(_applied));
        Sender.Tell(new MvccProtocol.Applied(_applied));
        ServeReadyReads();
        // A snapshot taken while a compaction was under way carries it: finish it here (MvccStoreActor.Compaction.cs).
        CompactionAfterStoreReplaced();
    }

    private void HandleCheckpoint()
    {
        if (!FromCurrentRaft)
        {
            Sender.Tell(new MvccProtocol.CheckpointFailed("not the current raft incarnation"));
            return;
        }
        try
        {
            _backend.Checkpoint();
            Sender.Tell(new MvccProtocol.Checkpointed(_applied));
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException)
        {
            _log.Warning("backend checkpoint at consistent index {0} failed: {1}", _applied, ex.Message);
            Sender.Tell(new MvccProtocol.CheckpointFailed(ex.Message));
        }
    }

}
