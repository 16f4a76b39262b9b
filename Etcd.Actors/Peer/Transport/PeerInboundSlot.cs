using System.Net;

namespace Etcd.Actors.Peer.Transport;

/// <summary>What <see cref="PeerInboundLimits.TryAdmit"/> counted a connection under, handed back when it moves on or
/// ends: the address it was counted by (a stranger's IPv6 address as its prefix, <see cref="PrefixLength"/>) and whether it was a member's then (the
/// member table may change while the connection lives; it is released where it was counted).</summary>
internal readonly record struct PeerInboundSlot(IPAddress Key, bool Member, int? PrefixLength = null)
{
    public override string ToString() => PrefixLength is { } bits ? $"{Key}/{bits}" : Key.ToString();
}
