namespace Etcd.Actors.Raft;

/// <summary>
/// What the gRPC edge needs to know about this member's Raft without a round trip into the actor world:
/// whether it is a learner (learners serve only Status and serializable reads) and who leads. RaftActor
/// writes it whenever the core's role, leader or membership changes; readers may see a value one change old.
/// </summary>
public sealed class MemberStatus
{
    private volatile bool _isLearner;
    private long _leader;
    private long _term;
    private long _commit;

    public bool IsLearner
    {
        get => _isLearner;
        internal set => _isLearner = value;
    }

    public ulong Leader => (ulong)Volatile.Read(ref _leader);

    public ulong Term => (ulong)Volatile.Read(ref _term);

    /// <summary>
    /// The node's commit index when RaftActor last took a Ready, set before anything from that Ready is sent (etcd's
    /// getCommittedIndex): never below what a follower has been told. The leader's lease manager answers a keep-alive
    /// only once the store has applied up to it (etcd 3.5's waitAppliedIndex).
    /// </summary>
    public ulong Commit => (ulong)Volatile.Read(ref _commit);

    internal void SetCommit(ulong commit) => Volatile.Write(ref _commit, (long)commit);

    internal void SetLeader(ulong leader, ulong term)
    {
        Volatile.Write(ref _term, (long)term);
        Volatile.Write(ref _leader, (long)leader);
    }
}
