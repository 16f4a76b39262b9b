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

    public bool IsLearner
    {
        get => _isLearner;
        internal set => _isLearner = value;
    }

    public ulong Leader => (ulong)Volatile.Read(ref _leader);

    public ulong Term => (ulong)Volatile.Read(ref _term);

    internal void SetLeader(ulong leader, ulong term)
    {
        Volatile.Write(ref _term, (long)term);
        Volatile.Write(ref _leader, (long)leader);
    }
}
