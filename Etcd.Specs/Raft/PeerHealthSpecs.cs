using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class PeerHealthSpecs
{
    private const int ElectionTick = 10;
    private const ulong Self = 1;

    [Fact]
    public void A_peer_is_heard_recently_for_exactly_an_election_timeout()
    {
        var health = new PeerHealth(ElectionTick);
        Assert.False(health.HeardRecently(2, 0));
        health.Heard(2, 5);
        Assert.True(health.HeardRecently(2, 5));
        Assert.True(health.HeardRecently(2, 5 + ElectionTick));
        Assert.False(health.HeardRecently(2, 5 + ElectionTick + 1));
        Assert.False(health.HeardRecently(3, 5));
    }

    [Fact]
    public void Active_for_counts_from_the_first_message_after_a_silence_longer_than_an_election_timeout()
    {
        var health = new PeerHealth(ElectionTick);
        // Heard every election timeout exactly: never silent long enough to restart the count.
        for (long t = 0; t <= 50; t += ElectionTick) health.Heard(2, t);
        Assert.Equal([Self, 2UL], health.ActiveFor(50, 50, Self).Order());
        Assert.Equal([Self], health.ActiveFor(51, 50, Self));

        // Silent for one tick more than an election timeout: active again only from the next message.
        health.Heard(2, 50 + ElectionTick + 1);
        Assert.Equal([Self, 2UL], health.ActiveFor(0, 61, Self).Order());
        Assert.Equal([Self], health.ActiveFor(1, 61, Self));
        Assert.Equal([Self, 2UL], health.ActiveFor(ElectionTick, 61 + ElectionTick, Self).Order());
    }

    [Fact]
    public void A_peer_silent_for_more_than_an_election_timeout_is_not_active_however_long_it_was_before()
    {
        var health = new PeerHealth(ElectionTick);
        for (long t = 0; t <= 100; t++) health.Heard(2, t);
        health.Heard(3, 105);
        Assert.Equal([Self, 2UL, 3UL], health.ActiveFor(0, 100 + ElectionTick, Self).Order());
        Assert.Equal([Self, 3UL], health.ActiveFor(0, 101 + ElectionTick, Self).Order());
        Assert.Equal([Self], health.ActiveFor(0, 106 + ElectionTick, Self));
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(3, 1)]
    [InlineData(1, 1)]
    public void Pings_are_due_every_half_election_timeout_and_at_least_every_tick(int electionTick, int every)
    {
        var health = new PeerHealth(electionTick);
        var due = Enumerable.Range(1, 20).Where(t => health.PingDue(t)).ToArray();
        Assert.Equal(Enumerable.Range(1, 20).Where(t => t % every == 0), due);
    }

    [Fact]
    public void The_link_watch_is_one_instance_made_on_first_use_and_a_bad_election_tick_fails_there()
    {
        var health = new PeerHealth(ElectionTick);
        Assert.Same(health.LinkWatch, health.LinkWatch);
        var bad = new PeerHealth(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => bad.LinkWatch);
    }

    [Fact]
    public void Describe_lists_each_peer_with_the_ticks_since_it_was_heard()
    {
        var health = new PeerHealth(ElectionTick);
        Assert.Equal("", health.Describe(0));
        health.Heard(0xa, 3);
        health.Heard(0x1f, 7);
        Assert.Equal("a@7,1f@3", health.Describe(10));
    }

    [Fact]
    public void A_peer_hears_us_while_some_ping_within_an_election_timeout_says_so_and_a_ping_saying_not_erases_nothing()
    {
        var health = new PeerHealth(ElectionTick);
        Assert.False(health.HearsUs(2, 0));
        health.HeardPing(2, 5, hearsUs: true);
        Assert.True(health.HeardRecently(2, 5));
        Assert.True(health.HearsUs(2, 5 + ElectionTick));
        Assert.False(health.HearsUs(2, 5 + ElectionTick + 1));
        // A "not heard" (maybe forged by a stranger who knows the ids) does not override a recent "heard".
        health.HeardPing(2, 6, hearsUs: true);
        health.HeardPing(2, 7, hearsUs: false);
        Assert.True(health.HearsUs(2, 7));
        Assert.False(health.HearsUs(2, 6 + ElectionTick + 1));
        // Other messages say nothing about whether it hears us.
        health.Heard(2, 6 + ElectionTick + 2);
        Assert.False(health.HearsUs(2, 6 + ElectionTick + 2));
    }

    [Fact]
    public void A_removed_peer_is_forgotten()
    {
        var health = new PeerHealth(ElectionTick);
        health.HeardPing(2, 100, hearsUs: true);
        health.Heard(3, 100);
        health.Forget(2);
        Assert.False(health.HeardRecently(2, 101));
        Assert.False(health.HearsUs(2, 101));
        Assert.Equal(new HashSet<ulong> { Self, 3 }, health.ActiveFor(0, 101, Self));
        Assert.DoesNotContain("2@", health.Describe(101));

        // Its link watch period starts afresh too: a deaf verdict one period after the first unanswered tick, not before.
        var watch = health.LinkWatch;
        Assert.False(watch.IsDeaf(2, 0, answering: false, heard: true, hearsUs: false));
        health.Forget(2);
        var deaf = PeerLinkWatch.DeafAfterElectionTimeouts * ElectionTick;
        Assert.False(watch.IsDeaf(2, deaf, answering: false, heard: true, hearsUs: false));
        Assert.True(watch.IsDeaf(2, 2 * deaf, answering: false, heard: true, hearsUs: false));
    }
}
