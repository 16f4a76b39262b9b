using Etcd.Actors.Errors;

namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// What the leader checks before proposing a membership change, with etcd 3.4's rules and errors (server.go
/// mayAddMember / mayRemoveMember / mayPromoteMember / isLearnerReady, then membership/cluster.go
/// ValidateConfigurationChange, in that order). Each returns null when the change may be proposed, else the
/// error for the client. Pure: the caller supplies what the transport knows.
/// <list type="bullet">
/// <item><c>activePeers</c>: voter ids this member has heard from continuously for the last 5 s (etcd's
/// HealthInterval, rafthttp ActiveSince ≤ now − 5 s). The local member always counts as active.</item>
/// <item><c>connectedPeers</c>: ids connected right now, however briefly (ActiveSince ≠ 0); null = the active set.</item>
/// </list>
/// "Started" means the member has published its name (<see cref="ClusterMember.IsStarted"/>).
/// </summary>
public static partial class MembershipRules
{
    /// <summary>etcd's readyPercent: a learner is promotable once its match index reaches 90 % of the leader's.</summary>
    public const double LearnerReadyFraction = 0.9;

    /// <summary>etcd 3.4's maxLearners.</summary>
    public const int DefaultMaxLearners = 1;

    /// <summary>MemberAdd of <paramref name="newId"/> (from <see cref="MemberIds.NewMemberId"/>) with <paramref name="peerUrls"/>.</summary>
    public static EtcdError? ValidateAdd(MemberTable table, ulong newId, IEnumerable<string> peerUrls, bool isLearner,
        bool strictReconfigCheck, IReadOnlySet<ulong> activePeers, ulong selfId, int maxLearners = DefaultMaxLearners)
    {
        ArgumentNullException.ThrowIfNull(table);
        var urls = MemberUrls.Normalize(peerUrls);
        if (urls is null) return EtcdErrors.MemberBadUrls;

        if (strictReconfigCheck)
        {
            // Adding a voter that has not started yet must not leave fewer started voters than the new quorum.
            if (!isLearner && !IsReadyToAddVotingMember(table)) return EtcdErrors.MemberNotEnoughStarted;
            if (ActiveVoters(table, activePeers, selfId) != table.Voters.Count()) return EtcdErrors.Unhealthy;
        }

        // etcd answers a removed id with ErrIDRemoved, which its gRPC layer turns into "member not found";
        // id 0 is refused the way the member table refuses it at apply.
        if (newId == 0 || table.IsRemoved(newId)) return EtcdErrors.MemberNotFound;
        if (table.Contains(newId)) return EtcdErrors.MemberExist;
        if (UsedByOthers(table, urls, exceptId: null)) return EtcdErrors.PeerUrlExist;
        if (isLearner && table.Learners.Count() + 1 > maxLearners) return EtcdErrors.TooManyLearners;
        return null;
    }

    /// <summary>MemberRemove of <paramref name="id"/>.</summary>
    public static EtcdError? ValidateRemove(MemberTable table, ulong id, bool strictReconfigCheck,
        IReadOnlySet<ulong> activePeers, ulong selfId, IReadOnlySet<ulong>? connectedPeers = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (strictReconfigCheck)
        {
            var error = MayRemoveStrict(table, id, activePeers, connectedPeers ?? activePeers, selfId);
            if (error is not null) return error;
        }
        if (table.IsRemoved(id) || !table.Contains(id)) return EtcdErrors.MemberNotFound;
        // The shared configuration rule never removes the last voter (the cluster could not commit anything
        // again), so refuse it here rather than let it fail at apply.
        var member = table.Find(id)!;
        if (!member.IsLearner && table.Voters.Count() == 1) return EtcdErrors.MemberNotEnoughStarted;
        return null;
    }

    /// <summary>MemberUpdate of <paramref name="id"/> to <paramref name="peerUrls"/>.</summary>
    public static EtcdError? ValidateUpdate(MemberTable table, ulong id, IEnumerable<string> peerUrls)
    {
        ArgumentNullException.ThrowIfNull(table);
        // etcd 3.4 does not parse these URLs; a member URL that cannot become a transport endpoint is refused here.
        var urls = MemberUrls.Normalize(peerUrls);
        if (urls is null) return EtcdErrors.MemberBadUrls;
        if (table.IsRemoved(id) || !table.Contains(id)) return EtcdErrors.MemberNotFound;
        if (UsedByOthers(table, urls, exceptId: id)) return EtcdErrors.PeerUrlExist;
        return null;
    }

    /// <summary>
    /// MemberPromote of <paramref name="id"/>, checked on the leader. <paramref name="learnerMatch"/> is the
    /// member's match index in the leader's progress (null when it has none: etcd then leaves the verdict to the
    /// membership checks), <paramref name="leaderMatch"/> the leader's own.
    /// </summary>
    public static EtcdError? ValidatePromote(MemberTable table, ulong id, ulong? learnerMatch, ulong leaderMatch, bool strictReconfigCheck)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Same floating-point comparison as etcd's isLearnerReady.
        if (learnerMatch is { } match && (double)match < (double)leaderMatch * LearnerReadyFraction)
            return EtcdErrors.LearnerNotReady;
        if (strictReconfigCheck && !IsReadyToPromoteMember(table)) return EtcdErrors.MemberNotEnoughStarted;
        if (table.IsRemoved(id) || !table.Contains(id)) return EtcdErrors.MemberNotFound;
        if (!table.Find(id)!.IsLearner) return EtcdErrors.MemberNotLearner;
        return null;
    }

    /// <summary>etcd's mayRemoveMember with StrictReconfigCheck on.</summary>
    private static EtcdError? MayRemoveStrict(MemberTable table, ulong id, IReadOnlySet<ulong> active,
        IReadOnlySet<ulong> connected, ulong selfId)
    {
        // No quorum is at stake when a learner leaves.
        if (table.Find(id) is { IsLearner: true }) return null;
        if (!IsReadyToRemoveVotingMember(table, id)) return EtcdErrors.MemberNotEnoughStarted;
        // A member that is down is not part of the active quorum: removing it is safe.
        if (id != selfId && !connected.Contains(id)) return null;
        var voters = table.Voters.Count();
        var activeVoters = ActiveVoters(table, active, selfId);
        if (activeVoters - 1 < 1 + (voters - 1) / 2) return EtcdErrors.Unhealthy;
        return null;
    }

    /// <summary>Voters counted as connected for the last 5 s: the local member plus the active peers (numConnectedSince).</summary>
    private static int ActiveVoters(MemberTable table, IReadOnlySet<ulong> active, ulong selfId) =>
        table.Voters.Count(m => m.Id == selfId || active.Contains(m.Id));

    private static bool UsedByOthers(MemberTable table, IReadOnlyList<string> urls, ulong? exceptId)
    {
        foreach (var m in table.Members)
        {
            if (m.Id == exceptId) continue;
            foreach (var u in m.PeerUrls)
                if (urls.Contains(u, StringComparer.Ordinal)) return true;
        }
        return false;
    }
}
