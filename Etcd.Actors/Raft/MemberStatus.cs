namespace Etcd.Actors.Raft;

/// <summary>
/// What the gRPC edge needs to know about this member's Raft without a round trip into the actor world:
/// whether it is a learner (learners serve only Status and serializable reads) and who leads. RaftActor
/// writes it whenever the core's role, leader or membership changes; readers may see a value one change old.
/// </summary>
public sealed class MemberStatus
{
    private volatile bool _isLearner;
    // Leader, term and LeadStart change together and are read together (Leadership): one immutable value, swapped whole.
    private volatile LeadershipView _leadership = new(0, 0, 0);
    private long _commit;

    public bool IsLearner
    {
        get => _isLearner;
        internal set => _isLearner = value;
    }

    public ulong Leader => _leadership.Leader;

    public ulong Term => _leadership.Term;

    /// <summary>
    /// Leader, term and, while this member leads, the index of its empty entry (see RaftProtocol.LeaderChanged), all
    /// written by one SetLeader: a reader never pairs one change's leader with another's LeadStart. The term is the
    /// node's when RaftActor handled the change, which may already be past the leadership's own (the core steps messages
    /// while the Ready's write is in flight); the next Ready then reports the step-down.
    /// </summary>
    public LeadershipView Leadership => _leadership;

    /// <summary>
    /// The node's commit index when RaftActor last took a Ready, set before anything from that Ready is sent (etcd's
    /// getCommittedIndex): never below what a follower has been told. The leader's lease manager answers a keep-alive
    /// only once the store has applied up to it (etcd 3.5's waitAppliedIndex).
    /// </summary>
    public ulong Commit => (ulong)Volatile.Read(ref _commit);

    internal void SetCommit(ulong commit) => Volatile.Write(ref _commit, (long)commit);

    internal void SetLeader(ulong leader, ulong term, ulong leadStart = 0) => _leadership = new LeadershipView(leader, term, leadStart);
}
