namespace Etcd.Actors.Raft;

/// <summary>
/// Follower behaviour: proposals go to the leader (the waiter stays here and is completed when this member
/// applies the entry), or wait for one while none is known; reads are served through the leader's ReadIndex.
/// </summary>
public sealed partial class RaftActor
{
    private void Follower(object message)
    {
        switch (message)
        {
            case RaftProtocol.Propose { LeaderTerm: not 0 } p:
                DropTermBound(p.Id, p.LeaderTerm);
                break;
            case RaftProtocol.Propose p:
                ForwardOrHold(Local(p));
                break;
            default:
                Common(message);
                break;
        }
    }
}
