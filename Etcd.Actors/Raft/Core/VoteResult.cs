namespace Etcd.Actors.Raft.Core;

/// <summary>Outcome of an election (or pre-vote) tally.</summary>
public enum VoteResult
{
    Pending,
    Won,
    Lost,
}
