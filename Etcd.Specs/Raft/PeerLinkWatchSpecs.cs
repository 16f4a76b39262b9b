using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class PeerLinkWatchSpecs
{
    private const int ElectionTick = 10;
    private const long Leaderless = ElectionTick * PeerLinkWatch.LeaderlessReportElectionTimeouts;
    private const long Deaf = ElectionTick * PeerLinkWatch.DeafAfterElectionTimeouts;

    [Fact]
    public void A_member_without_a_leader_is_reported_once_per_period_and_not_once_it_has_one()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        var reports = new List<(long Tick, long For)>();
        for (long t = 0; t <= 3 * Leaderless; t++)
            if (watch.LeaderlessReportDue(t, knowsLeader: false) is { } ticks) reports.Add((t, ticks));
        Assert.Equal([(Leaderless, Leaderless), (2 * Leaderless, 2 * Leaderless), (3 * Leaderless, 3 * Leaderless)], reports);

        Assert.Null(watch.LeaderlessReportDue(3 * Leaderless + 1, knowsLeader: true));
        // A new leaderless spell starts counting afresh.
        for (var t = 3 * Leaderless + 2; t < 4 * Leaderless + 2; t++) Assert.Null(watch.LeaderlessReportDue(t, knowsLeader: false));
        Assert.Equal(Leaderless, watch.LeaderlessReportDue(4 * Leaderless + 2, knowsLeader: false));
    }

    [Fact]
    public void A_member_that_knows_its_leader_is_never_reported()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        for (long t = 0; t < 5 * Leaderless; t++) Assert.Null(watch.LeaderlessReportDue(t, knowsLeader: true));
    }

    [Fact]
    public void A_follower_heard_but_not_answering_is_deaf_once_per_period()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        var verdicts = new List<long>();
        for (long t = 0; t <= 2 * Deaf; t++)
            if (watch.IsDeaf(7, t, answering: false, heard: true)) verdicts.Add(t);
        Assert.Equal([Deaf, 2 * Deaf], verdicts);
    }

    [Fact]
    public void A_follower_that_answers_within_each_election_timeout_is_never_deaf()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        // RecentActive is cleared every election timeout and set again by the next answer (a heartbeat later).
        for (long t = 0; t < 10 * Deaf; t++)
            Assert.False(watch.IsDeaf(7, t, answering: t % ElectionTick != 0, heard: true));
    }

    [Fact]
    public void A_follower_not_heard_at_all_is_down_not_deaf_and_a_new_term_starts_afresh()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        for (long t = 0; t <= 3 * Deaf; t++) Assert.False(watch.IsDeaf(7, t, answering: false, heard: false));

        watch.NotLeading();
        for (var t = 3 * Deaf + 1; t < 4 * Deaf + 1; t++) Assert.False(watch.IsDeaf(7, t, answering: false, heard: true));
        Assert.True(watch.IsDeaf(7, 4 * Deaf + 1, answering: false, heard: true));
    }

    [Fact]
    public void The_election_tick_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerLinkWatch(0));
}
