using System.Net;

namespace Etcd.Actors.Peer.Transport;

/// <summary>What <see cref="PeerInboundLimits.TryAdmit"/> counted a connection under, handed back when it moves on or
/// ends: the address it was counted by (a stranger's IPv6 address as its /64) and whether it was a member's then (the
/// member table may change while the connection lives; it is released where it was counted).</summary>
internal readonly record struct PeerInboundSlot(IPAddress Key, bool Member)
{
    public override string ToString() => Member || Key.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6
        ? Key.ToString() : $"{Key}/64";
}
