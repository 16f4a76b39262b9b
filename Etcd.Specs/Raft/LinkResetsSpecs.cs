using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Which outbound loss a member's own link reset excuses (<see cref="LinkResets"/>): the one the reset causes, not a
/// later failed redial that really says the peer is gone.
/// </summary>
public sealed class LinkResetsSpecs
{
    private const int ElectionTick = 10;
    private const ulong Peer = 0xa, Other = 0xb;

    [Fact]
    public void A_reset_excuses_the_first_outbound_loss_of_that_peer_and_no_second_one()
    {
        var resets = new LinkResets(ElectionTick);
        resets.Reset(Peer, now: 100);
        Assert.False(resets.TakeOwnLoss(Other, 101));
        Assert.True(resets.TakeOwnLoss(Peer, 101));
        // The gate opened, we dialled again and that failed: evidence, not our doing.
        Assert.False(resets.TakeOwnLoss(Peer, 105));
        Assert.Equal(0, resets.Pending);
    }

    [Fact]
    public void A_loss_more_than_two_election_timeouts_after_the_reset_is_not_excused_and_spends_it()
    {
        var atEdge = new LinkResets(ElectionTick);
        atEdge.Reset(Peer, now: 100);
        Assert.True(atEdge.TakeOwnLoss(Peer, 100 + 2 * ElectionTick));

        var resets = new LinkResets(ElectionTick);
        resets.Reset(Peer, now: 100);
        Assert.False(resets.TakeOwnLoss(Peer, 101 + 2 * ElectionTick));
        Assert.False(resets.TakeOwnLoss(Peer, 102 + 2 * ElectionTick));
    }

    [Fact]
    public void A_removed_peers_reset_is_forgotten()
    {
        var resets = new LinkResets(ElectionTick);
        resets.Reset(Peer, now: 100);
        resets.Reset(Other, now: 100);
        resets.Forget(Peer);
        Assert.Equal(1, resets.Pending);
        Assert.False(resets.TakeOwnLoss(Peer, 101));
        Assert.True(resets.TakeOwnLoss(Other, 101));
    }
}
