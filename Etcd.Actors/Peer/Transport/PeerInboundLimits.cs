using System.Net;
using System.Net.Sockets;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// The bounds on inbound connections of <see cref="PeerTcpTransport"/>: at most max-pending-inbound in their TLS
/// handshake at once and max-pending-inbound-per-ip of them from one address, and at most max-inbound connections
/// (in a handshake or established) and max-inbound-per-ip from one address. A connection over any bound is closed on
/// arrival, so one stranger's silent connections cannot take every handshake slot, nor hold connections without end.
/// <para>The global bounds hold strangers only: a connection from a member's address (<see cref="PeerMemberAddresses"/>)
/// is counted but never refused by them, only by the per-address bounds, which it has apart from any stranger's. Else a
/// stranger with a few addresses (8 addresses x 8 handshakes, 16 x 64 connections) filled the global bounds and locked
/// the members out (issue 10's review). So there are at most max-inbound + members x max-inbound-per-ip connections.</para>
/// <para>Strangers are counted by source address, an IPv6 one by its /64 (one host is given a whole /64, RFC 4291
/// section 2.5.4 and RFC 7421: per address, one host would have 2^64 of them; stranger-ipv6-prefix-length sets
/// another prefix, e.g. 128 where a cloud /64 is shared by many hosts); a member by its exact address; an
/// IPv4-mapped IPv6 address counts as the IPv4 one. Pure: no sockets, no clock (PeerInboundLimitsSpecs).</para>
/// </summary>
internal sealed class PeerInboundLimits(PeerTransportSettings settings, PeerMemberAddresses members)
{
    private readonly Lock _gate = new();
    // Keyed by the slot: its address (a stranger's IPv6 one as its prefix) and whether it is a member's (its prefix
    // length follows from those two and the settings, so it splits no count).
    private readonly Dictionary<PeerInboundSlot, (int Pending, int Open)> _bySource = [];
    private int _pending;
    private int _open;

    /// <summary>Takes a pending slot for a connection from <paramref name="from"/>: the slot, or why not.</summary>
    public (PeerInboundSlot Slot, string? Refused) TryAdmit(IPAddress from)
    {
        from = PeerMemberAddresses.Normalize(from);
        var member = members.Contains(from);
        var slot = new PeerInboundSlot(member ? from : Group(from, settings.StrangerIpv6PrefixLength), member,
            from.AddressFamily == AddressFamily.InterNetworkV6 && !member ? settings.StrangerIpv6PrefixLength : null);
        lock (_gate)
        {
            _bySource.TryGetValue(slot, out var mine);
            if (!member && _pending >= settings.MaxPendingInbound)
                return (slot, $"too many connections in their handshake (max-pending-inbound {settings.MaxPendingInbound})");
            if (mine.Pending >= settings.MaxPendingInboundPerIp)
                return (slot, $"too many connections from {slot} in their handshake (max-pending-inbound-per-ip {settings.MaxPendingInboundPerIp})");
            if (!member && _pending + _open >= settings.MaxInbound)
                return (slot, $"too many inbound connections (max-inbound {settings.MaxInbound})");
            if (mine.Pending + mine.Open >= settings.MaxInboundPerIp)
                return (slot, $"too many connections from {slot} (max-inbound-per-ip {settings.MaxInboundPerIp})");
            _pending++;
            _bySource[slot] = (mine.Pending + 1, mine.Open);
            return (slot, null);
        }
    }

    /// <summary>A pending connection is established (it counts on until <see cref="Closed"/>).</summary>
    public void Established(PeerInboundSlot slot)
    {
        lock (_gate)
        {
            var mine = _bySource[slot];
            _pending--;
            _open++;
            _bySource[slot] = (mine.Pending - 1, mine.Open + 1);
        }
    }

    /// <summary>A pending connection ended before it was established.</summary>
    public void Abandoned(PeerInboundSlot slot)
    {
        lock (_gate)
        {
            var mine = _bySource[slot];
            _pending--;
            Set(slot, (mine.Pending - 1, mine.Open));
        }
    }

    /// <summary>An established connection ended.</summary>
    public void Closed(PeerInboundSlot slot)
    {
        lock (_gate)
        {
            var mine = _bySource[slot];
            _open--;
            Set(slot, (mine.Pending, mine.Open - 1));
        }
    }

    /// <summary>Connections in their handshake and established, over all sources (specs).</summary>
    public (int Pending, int Open) Counts
    {
        get { lock (_gate) return (_pending, _open); }
    }

    private void Set(PeerInboundSlot slot, (int Pending, int Open) counts)
    {
        if (counts is (0, 0)) _bySource.Remove(slot);
        else _bySource[slot] = counts;
    }

    /// <summary>A stranger's key: its IPv4 address, or the prefix (stranger-ipv6-prefix-length, /64 by default) its
    /// IPv6 address is in.</summary>
    internal static IPAddress Group(IPAddress address, int prefixLength = 64)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < 128; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }
}
