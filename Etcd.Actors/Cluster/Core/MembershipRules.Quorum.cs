namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// etcd's started-member quorum checks (membership/cluster.go). A change must leave at least a quorum of
/// started voters in the configuration it creates, or a cluster with an unstarted member could lose the ability
/// to commit the moment the change applies.
/// </summary>
public static partial class MembershipRules
{
    /// <summary>IsReadyToAddVotingMember: the started voters are a quorum of the voters plus the new one.</summary>
    public static bool IsReadyToAddVotingMember(MemberTable table)
    {
        var members = 1; // the member being added, which has not started yet
        var started = 0;
        foreach (var m in table.Voters)
        {
            if (m.IsStarted) started++;
            members++;
        }
        // Growing a one-member cluster to two is how etcd restores a cluster from a backup: allowed.
        if (started == 1 && members == 2) return true;
        return started >= members / 2 + 1;
    }

    /// <summary>IsReadyToRemoveVotingMember: the started voters other than <paramref name="id"/> are a quorum of the rest.</summary>
    public static bool IsReadyToRemoveVotingMember(MemberTable table, ulong id)
    {
        var members = 0;
        var started = 0;
        foreach (var m in table.Voters)
        {
            if (m.Id == id) continue;
            if (m.IsStarted) started++;
            members++;
        }
        return started >= members / 2 + 1;
    }

    /// <summary>
    /// IsReadyToPromoteMember: the started voters, counting the learner being promoted (it runs: it is in sync),
    /// are a quorum of the voters plus that learner. Early 3.4 code counted the learner as not started, which
    /// refused promoting the learner of a one-voter cluster; etcd later fixed it to this.
    /// </summary>
    public static bool IsReadyToPromoteMember(MemberTable table)
    {
        var members = 1;
        var started = 1;
        foreach (var m in table.Voters)
        {
            if (m.IsStarted) started++;
            members++;
        }
        return started >= members / 2 + 1;
    }
}
