using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// Linearizable reads and Status. Reads share ReadIndex rounds: every read that arrives while a round is open
/// joins the next one. A round whose answer is lost is asked again after ReadRetryTicks (etcd retries after
/// 500 ms), and again of the new leader after a leader change; reads wait for a leader like proposals do.
/// </summary>
public sealed partial class RaftActor
{
    private List<MvccProtocol.ReadCommand> _pendingReads = [];
    private long _pendingReadsSince = -1;
    private ReadRound? _readRound;
    // Drawn on the first round: member id + this incarnation's nonce + counter, unique across members and restarts.
    private ReadIndexContexts? _readContexts;

    /// <summary>Leader changes one round may live through before its reads fail with "leader changed".</summary>
    private const int MaxRoundLeaderChanges = 2;

    /// <summary>One ReadIndex round shared by every read that arrived before it started.</summary>
    private sealed record ReadRound(ByteString Context, List<MvccProtocol.ReadCommand> Reads)
    {
        public int AgeTicks { get; set; }
        public int LeaderChanges { get; set; }
    }

    private void OnLinearizableRead(RaftProtocol.LinearizableRead r)
    {
        // Reads cannot be answered while no leader is known or a round is open; bound how many may wait.
        if (_pendingReads.Count >= _settings.MaxPendingProposals)
        {
            r.Read.Completion.TrySetException(EtcdErrors.TooManyRequests.ToException());
            return;
        }
        if (_pendingReads.Count == 0) _pendingReadsSince = _ticks;
        _pendingReads.Add(r.Read);
        if (_readRound is null) StartReadRound();
    }

    private void StartReadRound()
    {
        if (_pendingReads.Count == 0) return;
        _readContexts ??= ReadIndexContexts.NewIncarnation(_memberId);
        var context = _readContexts.Next();
        // No leader to ask yet: the reads wait (ExpireReads bounds how long).
        if (!Node.ReadIndex(context)) return;
        _readRound = new ReadRound(context, _pendingReads);
        _pendingReads = [];
        _pendingReadsSince = -1;
        ScheduleReady();
    }

    private void OnReadState(ReadState rs)
    {
        if (_readRound is not { } round || round.Context != rs.Context) return; // a stale or duplicate answer
        _readRound = null;
        _mvcc.Tell(new MvccProtocol.ReadAt(rs.Index, Node.Term, round.Reads), Self);
        StartReadRound();
    }

    private void TickReadRound()
    {
        if (_readRound is { } round)
        {
            round.AgeTicks++;
            if (round.AgeTicks >= _settings.ReadRoundTimeoutTicks)
            {
                FailReadRound(EtcdErrors.Timeout);
            }
            else if (round.AgeTicks % _settings.ReadRetryTicks == 0)
            {
                // Lost on the way (or its answer was): the same context again; a leader ignores a duplicate.
                Node.ReadIndex(round.Context);
                ScheduleReady();
            }
            return;
        }
        if (_pendingReads.Count == 0) return;
        if (_ticks - _pendingReadsSince >= _settings.NoLeaderTimeoutTicks)
        {
            foreach (var read in _pendingReads) read.Completion.TrySetException(EtcdErrors.NoLeader.ToException());
            _pendingReads = [];
            _pendingReadsSince = -1;
            return;
        }
        StartReadRound();
    }

    /// <summary>A (new) leader is known: ask it for the open round, or start the one that waited.</summary>
    private void OnLeaderKnownForReads()
    {
        if (_readRound is not { } round)
        {
            StartReadRound();
            return;
        }
        if (++round.LeaderChanges > MaxRoundLeaderChanges)
        {
            FailReadRound(EtcdErrors.LeaderChanged);
            return;
        }
        round.AgeTicks = 0;
        if (Node.ReadIndex(round.Context)) ScheduleReady();
    }

    private void FailReadRound(EtcdError error)
    {
        if (_readRound is null) return;
        foreach (var read in _readRound.Reads) read.Completion.TrySetException(error.ToException());
        _readRound = null;
        StartReadRound();
    }

    private void OnGetStatus(RaftProtocol.GetStatus s)
    {
        var node = Node;
        var partial = new StatusReport
        {
            Header = new ReplyHeader(0, _memberId, 0, node.Term),
            Leader = node.Lead,
            // etcd reports the commit index here and the applied index beside it (filled in by the store).
            RaftIndex = node.CommitIndex,
            RaftTerm = node.Term,
            IsLearner = node.IsLearner,
        };
        _mvcc.Tell(new MvccProtocol.FillStatus(partial, s.Completion), Self);
    }
}
