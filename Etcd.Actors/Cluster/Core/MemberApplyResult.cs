using Etcd.Actors.Errors;

namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// The outcome of applying one conf change to a <see cref="MemberTable"/>: the next table and what happened
/// to <see cref="Member"/> (the member as it is after the change; as it was before, for a removal), or a
/// refusal with etcd's error, in which case <see cref="Table"/> is the unchanged table.
/// </summary>
public readonly record struct MemberApplyResult(MemberTable Table, MemberChange? Change, ClusterMember? Member, EtcdError? Error)
{
    public bool IsOk => Error is null;

    internal static MemberApplyResult Refused(MemberTable table, EtcdError error) => new(table, null, null, error);
}
