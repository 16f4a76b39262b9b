using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Errors;
using Xunit;

namespace Etcd.Specs.Cluster;

public sealed class MembershipRulesSpecs
{
    private const ulong Self = 1;
    private static readonly HashSet<ulong> AllActive = [1, 2, 3];
    private static readonly HashSet<ulong> None = [];

    private static HashSet<ulong> Active(params ulong[] ids) => ids.ToHashSet();

    /// <summary>Three voters; <paramref name="started"/> of them (from id 1 up) have published a name.</summary>
    private static MemberTable Voters(int started = 3)
    {
        var t = Cc.Three();
        return new MemberTable(t.Members.Select(m => (int)m.Id <= started ? m : m with { Name = "" }), t.Removed);
    }

    private static MemberTable WithLearner() => Voters().AddLearner(4, "", "http://10.0.0.4:2380").Ok();

    [Theory]
    [InlineData("10.0.0.9:2380")]
    [InlineData("unix://sock:1")]
    [InlineData("ftp://10.0.0.9:2380")]
    [InlineData("http://10.0.0.9")]
    [InlineData("http://10.0.0.9:")]
    [InlineData("http://:2380")]
    [InlineData("http://10.0.0.9:2380/")]
    [InlineData("http://10.0.0.9:2380/path")]
    [InlineData("http://10.0.0.9:99999")]
    [InlineData("http://10.0.0.9:0")]
    [InlineData("http://::1:2380")]
    [InlineData("http://user@10.0.0.9:2380")]
    [InlineData("")]
    public void Bad_peer_urls_are_refused_before_anything_else(string url)
    {
        Assert.Same(EtcdErrors.MemberBadUrls, MembershipRules.ValidateAdd(Voters(started: 0), 9, [url], false, true, None, Self));
        Assert.Same(EtcdErrors.MemberBadUrls, MembershipRules.ValidateUpdate(Voters(), 2, [url]));
    }

    [Fact]
    public void Urls_are_normalised_like_etcds_types_NewURLs()
    {
        Assert.Same(EtcdErrors.MemberBadUrls, MembershipRules.ValidateAdd(Voters(), 9, [], false, false, AllActive, Self));
        Assert.Equal(["http://b:2", "https://[::1]:2380"], MemberUrls.Normalize([" HTTPS://[::1]:2380 ", "http://b:2"]));
        Assert.Null(MemberUrls.Normalize(["http://b:2", "nope"]));
        Assert.True(MemberUrls.IsValid("https://etcd-0.etcd.svc:2380"));
        // A URL in use is found whatever its spelling.
        Assert.Same(EtcdErrors.PeerUrlExist, MembershipRules.ValidateAdd(Voters(), 9, [" HTTP://10.0.0.2:2380"], false, false, AllActive, Self));
    }

    [Fact]
    public void Add_checks_membership_after_the_strict_checks()
    {
        var t = Voters().Remove(3).Ok().Add(5, "e", "http://10.0.0.5:2380").Ok();
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], false, true, Active(1, 2, 5), Self));
        // etcd: a removed id is ErrIDRemoved, which its gRPC layer reports as "member not found".
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateAdd(t, 3, ["http://10.0.0.9:2380"], false, false, None, Self));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateAdd(t, 0, ["http://10.0.0.9:2380"], false, false, None, Self));
        Assert.Same(EtcdErrors.MemberExist, MembershipRules.ValidateAdd(t, 2, ["http://10.0.0.9:2380"], false, false, None, Self));
        Assert.Same(EtcdErrors.PeerUrlExist, MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380", "http://10.0.0.5:2380"], false, false, None, Self));
        // The removed member's URL is free again.
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.3:2380"], false, false, None, Self));
    }

    [Fact]
    public void Only_one_learner_by_default()
    {
        var t = WithLearner();
        Assert.Same(EtcdErrors.TooManyLearners, MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], true, false, None, Self));
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], true, false, None, Self, maxLearners: 2));
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], false, false, None, Self)); // a voter is not limited
    }

    [Fact]
    public void Strict_add_of_a_voter_needs_a_started_quorum_and_every_voter_active()
    {
        // 3 voters, 2 started: with a 4th the quorum is 3, only 2 have started.
        var t = Voters(started: 2);
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], false, true, AllActive, Self));
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], false, false, AllActive, Self));
        // A learner does not count towards a quorum, so only the health check applies.
        Assert.Null(MembershipRules.ValidateAdd(t, 9, ["http://10.0.0.9:2380"], true, true, AllActive, Self));

        Assert.Same(EtcdErrors.Unhealthy, MembershipRules.ValidateAdd(Voters(), 9, ["http://10.0.0.9:2380"], false, true, Active(2), Self));
        Assert.Same(EtcdErrors.Unhealthy, MembershipRules.ValidateAdd(Voters(), 9, ["http://10.0.0.9:2380"], true, true, Active(2), Self));
        Assert.Null(MembershipRules.ValidateAdd(Voters(), 9, ["http://10.0.0.9:2380"], false, false, Active(2), Self));
        // The local member counts as active without being in the set.
        Assert.Null(MembershipRules.ValidateAdd(Voters(), 9, ["http://10.0.0.9:2380"], false, true, Active(2, 3), Self));
    }

    [Fact]
    public void Growing_a_single_started_member_to_two_is_allowed_as_etcds_restore_path()
    {
        var one = MemberTable.Empty.Add(1, "a", "http://10.0.0.1:2380").Ok();
        Assert.True(MembershipRules.IsReadyToAddVotingMember(one));
        Assert.Null(MembershipRules.ValidateAdd(one, 9, ["http://10.0.0.9:2380"], false, true, None, Self));
        // Two voters, one started: adding a third needs 2 started.
        var two = one.Add(2, "", "http://10.0.0.2:2380").Ok();
        Assert.False(MembershipRules.IsReadyToAddVotingMember(two));
    }

    [Fact]
    public void Remove_refuses_absent_removed_and_last_members()
    {
        var t = Voters().Remove(3).Ok();
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateRemove(t, 3, false, None, Self));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateRemove(t, 9, false, None, Self));
        Assert.Null(MembershipRules.ValidateRemove(t, 2, false, None, Self));
        var last = MemberTable.Empty.Add(1, "a", "http://10.0.0.1:2380").Ok();
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, MembershipRules.ValidateRemove(last, 1, false, None, Self));
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, MembershipRules.ValidateRemove(last, 1, true, None, Self));
    }

    [Fact]
    public void Strict_remove_protects_the_started_quorum_and_the_active_quorum()
    {
        // Voters 1 (started), 2 and 3 (never started): removing 1 leaves 0 started of 2.
        var t = Voters(started: 1);
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, MembershipRules.ValidateRemove(t, 1, true, AllActive, Self));
        Assert.Null(MembershipRules.ValidateRemove(t, 1, false, AllActive, Self));

        var v = Voters();
        Assert.Null(MembershipRules.ValidateRemove(v, 3, true, AllActive, Self));
        Assert.Null(MembershipRules.ValidateRemove(v, Self, true, Active(2, 3), Self));
        // 3 is down: removing it is safe, removing the live 2 would leave one active member of two.
        Assert.Null(MembershipRules.ValidateRemove(v, 3, true, Active(2), Self));
        Assert.Same(EtcdErrors.Unhealthy, MembershipRules.ValidateRemove(v, 2, true, Active(2), Self));
        Assert.Null(MembershipRules.ValidateRemove(v, 2, false, Active(2), Self));
        // 3 reconnected a moment ago: not down, not yet active for 5 s, so the active quorum is checked.
        Assert.Same(EtcdErrors.Unhealthy, MembershipRules.ValidateRemove(v, 3, true, Active(2), Self, connectedPeers: new HashSet<ulong> { 2, 3 }));

        // A learner holds no quorum: always removable.
        Assert.Null(MembershipRules.ValidateRemove(WithLearner(), 4, true, None, Self));
    }

    [Fact]
    public void Update_refuses_absent_removed_and_taken_urls()
    {
        var t = Voters().Remove(3).Ok();
        Assert.Null(MembershipRules.ValidateUpdate(t, 2, ["http://10.0.0.22:2380"]));
        Assert.Null(MembershipRules.ValidateUpdate(t, 2, ["http://10.0.0.2:2380", "http://10.0.0.22:2380"])); // its own URL
        Assert.Null(MembershipRules.ValidateUpdate(t, 2, ["http://10.0.0.3:2380"])); // the removed member's
        Assert.Same(EtcdErrors.PeerUrlExist, MembershipRules.ValidateUpdate(t, 2, ["http://10.0.0.1:2380"]));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateUpdate(t, 3, ["http://10.0.0.33:2380"]));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidateUpdate(t, 9, ["http://10.0.0.99:2380"]));
    }

    [Theory]
    [InlineData(899ul, 1000ul, false)]
    [InlineData(900ul, 1000ul, true)]
    [InlineData(1000ul, 1000ul, true)]
    [InlineData(0ul, 0ul, true)]
    [InlineData(8ul, 10ul, false)]
    [InlineData(9ul, 10ul, true)]
    public void A_learner_is_ready_at_90_percent_of_the_leaders_match(ulong learner, ulong leader, bool ready)
    {
        var error = MembershipRules.ValidatePromote(WithLearner(), 4, learner, leader, strictReconfigCheck: false);
        if (ready) Assert.Null(error);
        else Assert.Same(EtcdErrors.LearnerNotReady, error);
    }

    [Fact]
    public void Promote_refuses_voters_absent_and_removed_members_and_checks_started_quorum_when_strict()
    {
        var t = WithLearner();
        Assert.Null(MembershipRules.ValidatePromote(t, 4, null, 100, true)); // no progress known: the membership checks decide
        Assert.Same(EtcdErrors.MemberNotLearner, MembershipRules.ValidatePromote(t, 2, 100, 100, true));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidatePromote(t, 9, null, 100, false));
        Assert.Same(EtcdErrors.MemberNotFound, MembershipRules.ValidatePromote(t.Remove(4).Ok(), 4, null, 100, false));

        // Voters 1..3 with only 1 started: promoting makes 4 voters, quorum 3, and only 2 are started (the
        // learner counts as started: it is running and in sync). With 2 started voters it would be 3 of 4.
        var weak = Voters(started: 1).AddLearner(4, "", "http://10.0.0.4:2380").Ok();
        Assert.Null(MembershipRules.ValidatePromote(Voters(started: 2).AddLearner(4, "", "http://10.0.0.4:2380").Ok(), 4, 100, 100, true));
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, MembershipRules.ValidatePromote(weak, 4, 100, 100, true));
        Assert.Null(MembershipRules.ValidatePromote(weak, 4, 100, 100, false));
        // Readiness is checked first, as etcd's mayPromoteMember does.
        Assert.Same(EtcdErrors.LearnerNotReady, MembershipRules.ValidatePromote(weak, 4, 1, 100, true));
    }
}
