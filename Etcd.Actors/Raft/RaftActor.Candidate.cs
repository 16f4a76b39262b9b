namespace Etcd.Actors.Raft;

/// <summary>
/// Candidate (and pre-candidate) behaviour: an election is under way and nobody leads, so proposals wait,
/// bounded in number and time, for its outcome instead of failing at once; they then go to the winner.
/// </summary>
public sealed partial class RaftActor
{
    private void Candidate(object message)
    {
        switch (message)
        {
            case RaftProtocol.Propose { LeaderTerm: not 0 } p:
                DropTermBound(p.Id, p.LeaderTerm);
                break;
            case RaftProtocol.Propose p:
                Hold(Local(p));
                break;
            default:
                Common(message);
                break;
        }
    }
}
