using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>What a follower makes of a closed or failed association (<see cref="TransportLoss"/>).</summary>
public sealed class TransportLossSpecs
{
    private const ulong Leader = 0xa, Other = 0xb;

    [Fact]
    public void Only_our_own_link_to_the_leaders_known_address_makes_a_follower_forget_its_leader()
    {
        Assert.Equal(TransportLossVerdict.ForgetLeader, TransportLoss.Judge(inbound: false, Leader, Leader, following: true));
        // The other side opened it and named the address in its handshake: anyone could. Ask the leader instead.
        Assert.Equal(TransportLossVerdict.ProbeLeader, TransportLoss.Judge(inbound: true, Leader, Leader, following: true));
    }

    [Theory]
    [InlineData(false, Other, Leader, true)]   // another member's link
    [InlineData(false, null, Leader, true)]    // an address no member has
    [InlineData(false, Leader, 0UL, true)]     // no leader known
    [InlineData(false, Leader, Leader, false)] // not a follower
    [InlineData(true, null, Leader, true)]
    public void Anything_else_is_ignored(bool inbound, ulong? peer, ulong lead, bool following) =>
        Assert.Equal(TransportLossVerdict.Ignore, TransportLoss.Judge(inbound, peer, lead, following));

    [Fact]
    public void The_outbound_loss_our_own_reset_caused_is_ignored_but_an_inbound_one_is_still_probed()
    {
        Assert.Equal(TransportLossVerdict.Ignore, TransportLoss.Judge(inbound: false, Leader, Leader, following: true, causedByOurReset: true));
        Assert.Equal(TransportLossVerdict.ProbeLeader, TransportLoss.Judge(inbound: true, Leader, Leader, following: true, causedByOurReset: true));
    }
}
