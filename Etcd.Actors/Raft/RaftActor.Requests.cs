using System.Buffers.Binary;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>Client-facing commands: proposals (with flow control), linearizable reads, status.</summary>
public sealed partial class RaftActor
{
    private List<MvccProtocol.ReadCommand> _pendingReads = [];
    private ReadRound? _readRound;
    private ulong _readSeq;

    /// <summary>One ReadIndex round shared by every read that arrived before it started.</summary>
    private sealed record ReadRound(ByteString Context, List<MvccProtocol.ReadCommand> Reads)
    {
        public int AgeTicks { get; set; }
    }

    private void OnPropose(RaftProtocol.Propose p)
    {
        var node = Node;
        if (node.Role != RaftRole.Leader)
        {
            // Forwarding to node.Lead (keeping the waiter here) comes with the multi-node transport.
            _waits.Fail(p.Id, EtcdErrors.NoLeader);
            return;
        }
        if (_proposals.Count >= _settings.MaxPendingProposals ||
            node.CommitIndex > _mvccApplied + (ulong)_settings.MaxCommittedUnapplied)
        {
            _waits.Fail(p.Id, EtcdErrors.TooManyRequests);
            return;
        }
        _proposals.Enqueue(p);
        ScheduleReady();
    }

    private void OnLinearizableRead(RaftProtocol.LinearizableRead r)
    {
        // Reads cannot be answered while a journal write holds the Ready loop; bound how many may wait.
        if (_pendingReads.Count >= _settings.MaxPendingProposals)
        {
            r.Read.Completion.TrySetException(EtcdErrors.TooManyRequests.ToException());
            return;
        }
        _pendingReads.Add(r.Read);
        if (_readRound is null) StartReadRound();
    }

    private void StartReadRound()
    {
        if (_pendingReads.Count == 0) return;
        var reads = _pendingReads;
        _pendingReads = [];
        var ctx = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(ctx, ++_readSeq);
        var context = ByteString.CopyFrom(ctx);
        if (!Node.ReadIndex(context))
        {
            foreach (var read in reads) read.Completion.TrySetException(EtcdErrors.NoLeader.ToException());
            return;
        }
        _readRound = new ReadRound(context, reads);
        ScheduleReady();
    }

    private void OnReadState(ReadState rs)
    {
        if (_readRound is not { } round || round.Context != rs.Context) return; // a stale answer
        _readRound = null;
        _mvcc.Tell(new MvccProtocol.ReadAt(rs.Index, Node.Term, round.Reads), Self);
        StartReadRound();
    }

    private void TickReadRound()
    {
        if (_readRound is null) return;
        if (++_readRound.AgeTicks < _settings.ReadRoundTimeoutTicks) return;
        FailReadRound(EtcdErrors.Timeout);
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
        var partial = new StatusResponse
        {
            Header = new ResponseHeader { MemberId = _memberId, RaftTerm = node.Term },
            Leader = node.Lead,
            RaftIndex = node.LastIndex,
            RaftTerm = node.Term,
        };
        _mvcc.Tell(new MvccProtocol.FillStatus(partial, s.Completion), Self);
    }
}
