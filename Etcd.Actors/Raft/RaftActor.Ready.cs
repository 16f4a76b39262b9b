using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The Ready loop and group commit. Proposals wait in <see cref="_proposals"/> while a journal write is
/// in flight; when it completes, up to MaxBatchEntries of them are stepped into the core together and
/// persisted as one EntriesAppended in one write (one transaction, one fsync). PersistAllAsync keeps
/// the actor responsive meanwhile (ticks, peer messages, reads), which Raft needs once there are peers.
/// </summary>
public sealed partial class RaftActor
{
    private readonly Queue<RaftProtocol.Propose> _proposals = new();
    private readonly List<ulong> _inFlightIds = [];
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
        if (_node is null || _writeInFlight) return; // the write's completion reschedules
        DrainProposals();
        if (!_node.HasReady()) return;

        var rd = _node.GetReady();
        var events = new List<object>(3);
        if (rd.Entries.Count > 0)
        {
            var first = rd.Entries[0].Index;
            // Journals are append-only: a conflicting suffix is cut by a marker in the same atomic write.
            if (first <= _lastDurableIndex) events.Add(new LogTruncatedFrom { Index = first });
            var appended = new EntriesAppended();
            appended.Entries.AddRange(rd.Entries);
            events.Add(appended);
        }
        if (rd.HardState is { } hs) events.Add(new HardStateSaved { State = hs });

        if (events.Count == 0)
        {
            OnReadyDurable(rd);
            return;
        }
        _writeInFlight = true;
        // One AtomicWrite for the whole Ready; the deferred handler runs after it is durable.
        PersistAllAsync(events, static _ => { });
        DeferAsync(rd, OnReadyDurable);
    }

    private void DrainProposals()
    {
        long bytes = 0;
        var stepped = 0;
        while (_proposals.Count > 0 && stepped < _settings.MaxBatchEntries)
        {
            var next = _proposals.Peek();
            if (stepped > 0 && bytes + next.Data.Length > _settings.MaxBatchBytes) break;
            _proposals.Dequeue();
            if (!_node!.Propose(next.Data))
            {
                // Leadership was lost while it waited; followers do not forward yet.
                _waits.Fail(next.Id, EtcdErrors.NoLeader);
                continue;
            }
            _inFlightIds.Add(next.Id);
            stepped++;
            bytes += next.Data.Length;
        }
    }

    private void OnReadyDurable(Ready rd)
    {
        _writeInFlight = false;
        _inFlightIds.Clear();
        if (rd.Entries.Count > 0) _lastDurableIndex = rd.Entries[^1].Index;
        var node = Node;
        if (rd.SoftState is { } soft) OnSoftState(soft);
        SendMessages(rd.Messages);
        if (rd.CommittedEntries.Count > 0)
            _mvcc.Tell(new MvccProtocol.ApplyCommitted(rd.CommittedEntries, node.Term), Self);
        foreach (var rs in rd.ReadStates) OnReadState(rs);
        node.Advance(rd);
        if (_proposals.Count > 0 || node.HasReady()) ScheduleReady();
    }

    private void OnSoftState(SoftState soft)
    {
        _log.Info("raft {0:x16} is {1} at term {2}, leader {3:x16}", _memberId, soft.Role, Node.Term, soft.Lead);
        Context.System.EventStream.Publish(new RaftProtocol.LeaderChanged(_memberId, soft.Lead, Node.Term));
        if (soft.Role != RaftRole.Leader)
        {
            // The core dropped its ReadIndex queue with the leadership; those reads cannot complete.
            FailReadRound(EtcdErrors.LeaderChanged);
            while (_proposals.TryDequeue(out var p)) _waits.Fail(p.Id, EtcdErrors.NoLeader);
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
