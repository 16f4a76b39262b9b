using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Linearizable reads and Status. The read rounds' bookkeeping (shared ReadIndex rounds, retries, timeouts,
/// bounds) is <see cref="ReadRounds"/>; the actor steps its ReadIndex requests into the node, processes the
/// Ready when one was stepped, and hands each answered round's reads to the store.
/// </summary>
public sealed partial class RaftActor
{
    private void OnLinearizableRead(RaftProtocol.LinearizableRead r)
    {
        if (_requests.Reads.Add(r.Read, _ticks)) ScheduleReady();
    }

    private void OnReadState(ReadState rs)
    {
        if (_requests.Reads.Answered(rs.Context) is not { } reads) return; // a stale or duplicate answer
        _mvcc.Tell(new MvccProtocol.ReadAt(rs.Index, Node.Term, reads), Self);
        if (_requests.Reads.TryStart()) ScheduleReady();
    }

    private void TickReadRound()
    {
        if (_requests.Reads.Tick(_ticks)) ScheduleReady();
    }

    /// <summary>A (new) leader is known: ask it for the open round, or start the one that waited.</summary>
    private void OnLeaderKnownForReads()
    {
        if (_requests.Reads.LeaderKnown()) ScheduleReady();
    }

    private void OnGetStatus(RaftProtocol.GetStatus s)
    {
        var node = Node;
        var partial = new StatusReport
        {
            Header = new ReplyHeader(0, _memberId, 0, node.Term),
            // The leader this actor acts on (set when it takes the Ready carrying the soft state), not the core's Lead:
            // a just-elected core names itself before the actor behaves as leader (that Ready waits for the journal
            // write in flight), and a MoveLeader sent on the core's word was refused "not leader". etcd reports the
            // lead its server loop took from a Ready too (etcdserver/raft.go, r.lead).
            Leader = _status.Leader,
            // etcd reports the commit index here and the applied index beside it (filled in by the store).
            RaftIndex = node.CommitIndex,
            RaftTerm = node.Term,
            IsLearner = node.IsLearner,
        };
        _mvcc.Tell(new MvccProtocol.FillStatus(partial, s.Completion), Self);
    }
}
