namespace Etcd.Actors.Raft;

/// <summary>
/// What a follower makes of Akka.Remote's <c>DisassociatedEvent</c> / <c>AssociationErrorEvent</c> (see
/// <see cref="Core.RaftNode.ForgetLeader"/>, docs/design.md "Faster failover than etcd"). Only this member's own outbound link
/// to its leader's known address is evidence that the leader is gone: an inbound association names whatever
/// origin address the other side put in its handshake, so a stranger that claims our leader's address and hangs
/// up would otherwise make us campaign at will. An inbound loss of the leader's address is checked instead by
/// writing to the leader (a ping): if it is really gone, our own outbound attempt fails and says so. The one
/// outbound loss our own reset of the link causes (<see cref="LinkResets"/>) says nothing about the leader.
/// </summary>
public static class TransportLoss
{
    /// <param name="inbound">The event's IsInbound: the association was opened by the other side.</param>
    /// <param name="peerAtAddress">The member whose known peer address the event names, if any.</param>
    /// <param name="lead">Our leader (0: none).</param>
    /// <param name="following">This member is a follower.</param>
    /// <param name="causedByOurReset">An outbound loss that our own reset of this link caused (<see cref="LinkResets.TakeOwnLoss"/>).</param>
    public static TransportLossVerdict Judge(bool inbound, ulong? peerAtAddress, ulong lead, bool following, bool causedByOurReset = false)
    {
        if (!following || lead == 0 || peerAtAddress != lead) return TransportLossVerdict.Ignore;
        if (!inbound && causedByOurReset) return TransportLossVerdict.Ignore;
        return inbound ? TransportLossVerdict.ProbeLeader : TransportLossVerdict.ForgetLeader;
    }
}
