using System.Net;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// The bounds on inbound connections of <see cref="PeerTcpTransport"/>: at most max-pending-inbound in their TLS
/// handshake at once and max-pending-inbound-per-ip of them from one address, and at most max-inbound connections
/// (in a handshake or established) and max-inbound-per-ip from one address. A connection over any bound is closed on
/// arrival, so one stranger's silent connections cannot take every handshake slot from the members, nor can it hold
/// connections without end. Counts are by source address (an IPv4-mapped IPv6 address counts as the IPv4 one).
/// </summary>
internal sealed class PeerInboundLimits(PeerTransportSettings settings)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, (int Pending, int Open)> _byAddress = [];
    private int _pending;
    private int _open;

    /// <summary>Takes a pending slot for a connection from <paramref name="from"/>; null when taken, else why not.</summary>
    public string? TryAdmit(IPAddress from)
    {
        lock (_gate)
        {
            _byAddress.TryGetValue(from, out var mine);
            if (_pending >= settings.MaxPendingInbound)
                return $"too many connections in their handshake (max-pending-inbound {settings.MaxPendingInbound})";
            if (mine.Pending >= settings.MaxPendingInboundPerIp)
                return $"too many connections from {from} in their handshake (max-pending-inbound-per-ip {settings.MaxPendingInboundPerIp})";
            if (_pending + _open >= settings.MaxInbound)
                return $"too many inbound connections (max-inbound {settings.MaxInbound})";
            if (mine.Pending + mine.Open >= settings.MaxInboundPerIp)
                return $"too many connections from {from} (max-inbound-per-ip {settings.MaxInboundPerIp})";
            _pending++;
            _byAddress[from] = (mine.Pending + 1, mine.Open);
            return null;
        }
    }

    /// <summary>A pending connection is established (it counts on until <see cref="Closed"/>).</summary>
    public void Established(IPAddress from)
    {
        lock (_gate)
        {
            var mine = _byAddress[from];
            _pending--;
            _open++;
            _byAddress[from] = (mine.Pending - 1, mine.Open + 1);
        }
    }

    /// <summary>A pending connection ended before it was established.</summary>
    public void Abandoned(IPAddress from)
    {
        lock (_gate)
        {
            var mine = _byAddress[from];
            _pending--;
            Set(from, (mine.Pending - 1, mine.Open));
        }
    }

    /// <summary>An established connection ended.</summary>
    public void Closed(IPAddress from)
    {
        lock (_gate)
        {
            var mine = _byAddress[from];
            _open--;
            Set(from, (mine.Pending, mine.Open - 1));
        }
    }

    private void Set(IPAddress from, (int Pending, int Open) counts)
    {
        if (counts is (0, 0)) _byAddress.Remove(from);
        else _byAddress[from] = counts;
    }
}
