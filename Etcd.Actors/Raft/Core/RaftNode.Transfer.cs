using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Leader transfer (Raft thesis §3.10): the leader stops taking proposals, brings the transferee's log up
/// to date, then tells it to campaign at once (MsgTimeoutNow). The transferee's vote requests carry
/// <see cref="CampaignTransferContext"/> so voters that still hear from the old leader grant them anyway.
/// A transfer not done within an election timeout is abandoned.
/// </summary>
public sealed partial class RaftNode
{
    /// <summary>Context of a vote request that was asked for by the leader, not caused by a timeout.</summary>
    public static readonly ByteString CampaignTransferContext = ByteString.CopyFromUtf8("CampaignTransfer");

    private ulong _leadTransferee;

    // Term of a MsgTimeoutNow that arrived while a committed conf change was still to be handed out; 0 if none.
    private ulong _deferredTimeoutNowTerm;

    /// <summary>
    /// Asks the leader to hand leadership to <paramref name="transferee"/> (a voter). On a follower the request
    /// is passed to the leader. Progress shows in later SoftStates; <see cref="LeadTransferee"/> is 0 again
    /// once the transfer finished or was abandoned.
    /// </summary>
    public void TransferLeader(ulong transferee) =>
        Step(new Message { Type = MessageType.MsgTransferLeader, From = transferee });

    private void HandleTransferLeader(ulong transferee)
    {
        if (!_prs.TryGetValue(transferee, out var pr) || pr.IsLearner || !_config.IsVoter(transferee)) return;
        if (_leadTransferee != 0)
        {
            if (_leadTransferee == transferee) return; // already on its way
            AbortLeaderTransfer();
        }
        if (transferee == Id) return; // already the leader
        // The transfer must finish within one election timeout.
        _electionElapsed = 0;
        _leadTransferee = transferee;
        if (pr.Match == _log.LastIndex) SendTimeoutNow(transferee);
        else SendAppend(transferee);
    }

    private void SendTimeoutNow(ulong to) => Send(new Message { To = to, Type = MessageType.MsgTimeoutNow });

    private void AbortLeaderTransfer() => _leadTransferee = 0;

    /// <summary>Follower side: the leader wants us to take over now.</summary>
    private void HandleTimeoutNow()
    {
        if (!Promotable) return;
        // Same guard as an ordinary election (etcd-io/raft's hup): with a committed conf change not handed out yet
        // our voters may be stale, and with a later change already in the log, two steps from the real ones. The
        // request is kept for this term and honoured once the change is handed out (see Advance): a removed
        // leader hands over in the very Ready that commits its removal, so the two usually arrive together.
        if (HasUnappliedConfChange())
        {
            _deferredTimeoutNowTerm = Term;
            return;
        }
        _deferredTimeoutNowTerm = 0;
        Campaign(preVote: false, transfer: true);
    }

    /// <summary>A MsgTimeoutNow deferred by <see cref="HandleTimeoutNow"/>, still for this term: campaign now if we safely can.</summary>
    private void MaybeCampaignDeferredTransfer()
    {
        if (_deferredTimeoutNowTerm == 0) return;
        if (_deferredTimeoutNowTerm != Term || Role != RaftRole.Follower)
        {
            _deferredTimeoutNowTerm = 0;
            return;
        }
        if (!HasUnappliedConfChange()) HandleTimeoutNow();
    }
}
