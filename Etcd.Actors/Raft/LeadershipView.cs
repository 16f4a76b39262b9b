namespace Etcd.Actors.Raft;

/// <summary>
/// One leadership change as <see cref="MemberStatus"/> holds it: the leader (0: none), the term, and, while this
/// member leads, the index of its empty entry of that term (0 otherwise).
/// </summary>
public sealed record LeadershipView(ulong Leader, ulong Term, ulong LeadStart);
