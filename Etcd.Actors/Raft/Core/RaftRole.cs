namespace Etcd.Actors.Raft.Core;

/// <summary>The role a member plays in its current term (etcd's StateType).</summary>
public enum RaftRole
{
    Follower,
    /// <summary>Runs a pre-vote round without bumping its term, so a partitioned node cannot disrupt the cluster on return.</summary>
    PreCandidate,
    Candidate,
    Leader,
}
