using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// Every client request a RaftActor incarnation holds until it is answered, in the plain classes that bound and time
/// them (no Akka, no clock): linearizable reads (<see cref="ReadRounds"/>), a follower's proposals on their way to the
/// leader or held for one (<see cref="ForwardQueues"/>), the leader's proposals queued for the next group commit
/// (<see cref="ProposalBatcher"/>) and appended but not decided (<see cref="AppendedProposals"/>), and the leadership
/// transfer under way (<see cref="LeaderTransferWatch"/>). When the incarnation stops, <see cref="FailQueued"/> answers
/// what never reached a log. <paramref name="askLeader"/> steps a ReadIndex into the Raft node.
/// </summary>
internal sealed class RaftRequests(RaftSettings settings, ulong memberId, Func<ByteString, bool> askLeader)
{
    public ReadRounds Reads { get; } = new(memberId, settings.MaxPendingProposals, settings.ReadRoundTimeoutTicks, settings.ReadRetryTicks,
        settings.NoLeaderTimeoutTicks, askLeader);

    public ForwardQueues Forwards { get; } = new(settings.MaxPendingProposals, settings.NoLeaderTimeoutTicks);

    public ProposalBatcher Batcher { get; } = new(settings.MaxPendingProposals, settings.MaxCommittedUnapplied, settings.MaxBatchEntries, settings.MaxBatchBytes);

    public AppendedProposals Appended { get; } = new();

    public LeaderTransferWatch Transfer { get; } = new(settings.ElectionTick);

    /// <summary>
    /// Fails the reads and the transfer with <paramref name="error"/> and takes out every proposal that never left a
    /// queue (never stepped into the core, never sent), for the caller to refuse with it: a definite failure. Appended
    /// proposals stay: they may still be committed.
    /// </summary>
    public List<PendingProposal> FailQueued(EtcdError error)
    {
        Reads.FailAll(error);
        Transfer.Fail(error);
        var queued = new List<PendingProposal>(Batcher.TakeAll());
        queued.AddRange(Forwards.TakeAllHeld());
        queued.AddRange(Forwards.TakeToForward());
        return queued;
    }
}
