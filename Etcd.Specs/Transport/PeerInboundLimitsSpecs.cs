using System.Net;
using Akka.Configuration;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer;
using Etcd.Actors.Peer.Transport;
using Xunit;

namespace Etcd.Specs.Transport;

/// <summary>
/// The peer port's inbound counting without sockets (<see cref="PeerInboundLimits"/>, <see cref="PeerFrameBudget"/>,
/// <see cref="PeerMemberAddresses"/>), with member.conf's bounds: a stranger on a few addresses fills the global
/// bounds and a member still gets in (issue 10's review), strangers' IPv6 addresses count by /64, a slot is released
/// where it was counted, and the partial-frame budget refuses strangers, never members.
/// </summary>
public sealed class PeerInboundLimitsSpecs
{
    private static readonly IPAddress Member = IPAddress.Parse("10.0.0.1");

    private static (PeerInboundLimits, PeerTransportSettings, PeerMemberAddresses) Limits(params string[] memberUrls)
    {
        var settings = PeerTransportSettings.Create(EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer"));
        var members = new PeerMemberAddresses();
        members.Publish(memberUrls);
        return (new PeerInboundLimits(settings, members), settings, members);
    }

    private static IPAddress Stranger(int i) => IPAddress.Parse($"192.0.2.{i}");

    private static PeerInboundSlot Admit(PeerInboundLimits limits, IPAddress from)
    {
        var (slot, refused) = limits.TryAdmit(from);
        Assert.True(refused is null, $"{from} was refused: {refused}");
        return slot;
    }

    [Fact]
    public void A_stranger_on_eight_addresses_holding_every_handshake_slot_does_not_keep_a_member_out()
    {
        var (limits, settings, _) = Limits("http://10.0.0.1:2380", "http://10.0.0.2:2380");
        for (var ip = 1; ip <= 8; ip++)
            for (var i = 0; i < settings.MaxPendingInboundPerIp; i++) Admit(limits, Stranger(ip));
        Assert.Equal((settings.MaxPendingInbound, 0), limits.Counts);
        Assert.Contains("max-pending-inbound ", limits.TryAdmit(Stranger(9)).Refused);

        // The member is counted but not held to the strangers' global bound; its own per-address bound stays.
        for (var i = 0; i < settings.MaxPendingInboundPerIp; i++) Assert.True(Admit(limits, Member).Member);
        Assert.Contains("max-pending-inbound-per-ip", limits.TryAdmit(Member).Refused);
        // As an IPv4-mapped IPv6 address (a dual-mode listener) it is the same member.
        Assert.Contains("max-pending-inbound-per-ip", limits.TryAdmit(Member.MapToIPv6()).Refused);
        Assert.True(Admit(limits, IPAddress.Parse("10.0.0.2")).Member);
    }

    [Fact]
    public void A_stranger_on_sixteen_addresses_holding_max_inbound_does_not_keep_a_member_out()
    {
        var (limits, settings, _) = Limits("http://10.0.0.1:2380");
        for (var ip = 1; ip <= 16; ip++)
            for (var i = 0; i < settings.MaxInboundPerIp; i++) limits.Established(Admit(limits, Stranger(ip)));
        Assert.Equal((0, settings.MaxInbound), limits.Counts);
        Assert.Contains("max-inbound ", limits.TryAdmit(Stranger(17)).Refused);

        for (var i = 0; i < settings.MaxInboundPerIp; i++) limits.Established(Admit(limits, Member));
        Assert.Contains("max-inbound-per-ip", limits.TryAdmit(Member).Refused);
    }

    [Fact]
    public void A_strangers_ipv6_addresses_count_by_their_64_and_a_member_in_that_64_has_its_own_count()
    {
        var (limits, settings, _) = Limits("http://[2001:db8:1:2::ff]:2380");
        // One host owns 2001:db8:1:2::/64: each connection from another address of it still counts against it.
        for (var i = 1; i <= settings.MaxPendingInboundPerIp; i++) Admit(limits, IPAddress.Parse($"2001:db8:1:2::{i:x}"));
        var refused = limits.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:fffe")).Refused;
        Assert.Contains("2001:db8:1:2::/64", refused);
        Assert.Contains("max-pending-inbound-per-ip", refused);
        // Another /64 is another host; the member's exact address is counted apart.
        Admit(limits, IPAddress.Parse("2001:db8:1:3::1"));
        Assert.True(Admit(limits, IPAddress.Parse("2001:db8:1:2::ff")).Member);
        // A scope id (link-local) does not make another member.
        var (scoped, _, _) = Limits("http://[fe80::1]:2380");
        Assert.True(Admit(scoped, IPAddress.Parse("fe80::1%2")).Member);
    }

    [Fact]
    public void The_ipv6_prefix_strangers_are_counted_by_is_a_setting()
    {
        var section = EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer");
        Assert.Equal(64, PeerTransportSettings.Create(section).StrangerIpv6PrefixLength);
        var settings = PeerTransportSettings.Create(ConfigurationFactory.ParseString("stranger-ipv6-prefix-length = 128").WithFallback(section));
        var limits = new PeerInboundLimits(settings, new PeerMemberAddresses());
        // Each address apart: the /64's neighbours do not share a count.
        for (var i = 1; i <= 2 * settings.MaxPendingInboundPerIp; i++) Assert.Null(limits.TryAdmit(IPAddress.Parse($"2001:db8:1:2::{i:x}")).Refused);
        Assert.Equal("2001:db8:1:2::1/128", limits.TryAdmit(IPAddress.Parse("2001:db8:1:2::1")).Slot.ToString());
        Assert.Equal(IPAddress.Parse("2001:db8:1::"), PeerInboundLimits.Group(IPAddress.Parse("2001:db8:1:2::1"), 48));
        Assert.Throws<ConfigurationException>(() =>
            PeerTransportSettings.Create(ConfigurationFactory.ParseString("stranger-ipv6-prefix-length = 0").WithFallback(section)));
    }

    [Fact]
    public void A_slot_is_released_where_it_was_counted_when_the_member_table_changes_meanwhile()
    {
        var (limits, settings, members) = Limits("http://10.0.0.1:2380");
        var pending = Admit(limits, Member);
        var open = Admit(limits, Member);
        limits.Established(open);
        members.Publish(["http://10.0.0.9:2380"]);
        // Now a stranger: its count starts at zero (the member's slots are not its own).
        var asStranger = Admit(limits, Member);
        Assert.False(asStranger.Member);
        limits.Abandoned(pending);
        limits.Closed(open);
        limits.Abandoned(asStranger);
        Assert.Equal((0, 0), limits.Counts);
        for (var i = 0; i < settings.MaxPendingInboundPerIp; i++) Admit(limits, Member);
    }

    [Fact]
    public async Task Host_names_in_peer_urls_are_members_once_resolved_and_urls_that_do_not_parse_are_skipped()
    {
        var members = new PeerMemberAddresses();
        var resolved = members.Publish(["not a url", "http://localhost:2380", "https://127.0.0.7:2380"]);
        Assert.True(members.Contains(IPAddress.Parse("127.0.0.7")));
        // localhost resolves in the background (to 127.0.0.1 here).
        await resolved.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(members.Contains(IPAddress.Loopback), "localhost did not resolve to 127.0.0.1");
        await members.Publish(["http://127.0.0.8:2380"]);
        Assert.Equal([IPAddress.Parse("127.0.0.8")], members.Current);
    }

    [Fact]
    public void The_partial_frame_budget_refuses_a_stranger_past_it_never_a_member()
    {
        var budget = new PeerFrameBudget(1024);
        Assert.True(budget.TryTake(1000, member: false));
        Assert.False(budget.TryTake(100, member: false));
        Assert.Equal(1000, budget.Used);
        Assert.True(budget.TryTake(4096, member: true));
        Assert.Equal(5096, budget.Used);
        budget.Release(4096);
        Assert.True(budget.TryTake(24, member: false));
        budget.Release(1024);
        Assert.Equal(0, budget.Used);
    }
    [Fact]
    public void A_negative_partial_frame_budget_is_refused_and_the_largest_frame_buffer_is_arrayPools_power_of_two()
    {
        var section = EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer");
        var e = Assert.Throws<ConfigurationException>(() =>
            PeerTransportSettings.Create(ConfigurationFactory.ParseString("partial-frame-budget = -1").WithFallback(section)));
        Assert.Contains("partial-frame-budget", e.Message);
        // 4 MiB + the 4-byte prefix is rented as 8 MiB: the default budget (256 MiB) holds 32 of them.
        var settings = PeerTransportSettings.Create(section);
        Assert.Equal(8L * 1024 * 1024, settings.LargestFrameBuffer);
        Assert.True(settings.PartialFrameBudget >= settings.LargestFrameBuffer);
    }
}
