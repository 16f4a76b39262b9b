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
            if (watch.IsDeaf(7, t, answering: false, heard: true, hearsUs: false)) verdicts.Add(t);
        Assert.Equal([Deaf, 2 * Deaf], verdicts);
    }

    [Fact]
    public void A_follower_that_answers_within_each_election_timeout_is_never_deaf()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        // RecentActive is cleared every election timeout and set again by the next answer (a heartbeat later).
        for (long t = 0; t < 10 * Deaf; t++)
            Assert.False(watch.IsDeaf(7, t, answering: t % ElectionTick != 0, heard: true, hearsUs: false));
    }

    [Fact]
    public void A_follower_not_heard_at_all_is_down_not_deaf_and_a_new_term_starts_afresh()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        for (long t = 0; t <= 3 * Deaf; t++) Assert.False(watch.IsDeaf(7, t, answering: false, heard: false, hearsUs: false));

        watch.NotLeading();
        for (var t = 3 * Deaf + 1; t < 4 * Deaf + 1; t++) Assert.False(watch.IsDeaf(7, t, answering: false, heard: true, hearsUs: false));
        Assert.True(watch.IsDeaf(7, 4 * Deaf + 1, answering: false, heard: true, hearsUs: false));
    }

    /// <summary>
    /// A follower whose journal write is slow answers nothing until the write is durable (RaftActor sends a
    /// follower's messages only after its Ready is persisted), but it still pings, and says it hears us: that is
    /// slowness, not a dead link, and resetting its connection would only drop what is in flight to it.
    /// </summary>
    [Fact]
    public void A_silent_follower_that_says_it_hears_us_is_slow_not_deaf()
    {
        var watch = new PeerLinkWatch(ElectionTick);
        for (long t = 0; t <= 5 * Deaf; t++)
            Assert.False(watch.IsDeaf(7, t, answering: false, heard: true, hearsUs: true));

        // Once it says it no longer hears us, the period counts from then.
        var from = 5 * Deaf + 1;
        for (var t = from; t < from + Deaf; t++) Assert.False(watch.IsDeaf(7, t, answering: false, heard: true, hearsUs: false));
        Assert.True(watch.IsDeaf(7, from + Deaf, answering: false, heard: true, hearsUs: false));
    }

    /// <summary>What the leader asks per tick, from what the follower's pings said (PeerHealth) and its answers.</summary>
    [Fact]
    public void A_follower_blocked_on_its_journal_but_pinging_that_it_hears_the_leader_keeps_its_link()
    {
        var health = new PeerHealth(ElectionTick);
        var resets = 0;
        for (long t = 0; t <= 6 * Deaf; t++)
        {
            // Pings every half election timeout, saying it hears us; no heartbeat answer (its write is stuck).
            if (t % (ElectionTick / 2) == 0) health.HeardPing(7, t, hearsUs: true);
            if (health.LinkWatch.IsDeaf(7, t, answering: false, heard: health.HeardRecently(7, t), hearsUs: health.HearsUs(7, t))) resets++;
        }
        Assert.Equal(0, resets);

        // The same follower, its pings now saying it does not hear us (the link carries one direction only): reset.
        for (var t = 6 * Deaf + 1; t <= 8 * Deaf; t++)
        {
            if (t % (ElectionTick / 2) == 0) health.HeardPing(7, t, hearsUs: false);
            if (health.LinkWatch.IsDeaf(7, t, answering: false, heard: health.HeardRecently(7, t), hearsUs: health.HearsUs(7, t))) resets++;
        }
        Assert.True(resets >= 1);
    }

    [Fact]
    public void The_election_tick_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerLinkWatch(0));
}
