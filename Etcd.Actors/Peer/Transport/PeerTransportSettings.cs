using Akka.Configuration;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// The settings of <see cref="PeerTcpTransport"/>, read from its section (<c>akka.remote.etcd-peer</c> in member.conf).
/// The endpoint keys are DotNetty's (hostname, port, public-hostname, public-port, maximum-frame-size, enable-ssl,
/// connection-timeout), so EtcdNode.BuildConfig writes the flags' values once for either transport.
/// </summary>
/// <param name="MaximumFrameSize">The largest payload sent or taken: a bigger frame from the network closes that
/// connection before anything of its claimed length is allocated; Akka.Remote drops a bigger outbound one.</param>
/// <param name="ConnectTimeout">Bounds a TCP connect and, with TLS, each side's handshake: a stranger who connects and
/// says nothing holds its slot this long at most.</param>
/// <param name="OutboundQueueBytes">Bytes an association may hold unsent; past it <c>Write</c> returns false and
/// Akka.Remote's EndpointWriter buffers and retries (a frame is always taken when nothing is queued).</param>
/// <param name="CoalesceBytes">How many bytes of queued frames the writer copies into one pooled buffer for one send.</param>
/// <param name="FlushWait">How long a disassociation waits for queued frames to leave and the peer to close.</param>
/// <param name="MaxPendingInbound">Accepted connections still in their TLS handshake at once; more are closed at once.</param>
/// <param name="MaxPendingInboundPerIp">The same from one source address, so one stranger cannot take every slot.</param>
/// <param name="MaxInbound">Inbound connections (in a handshake or established) at once; more are closed at once.</param>
/// <param name="MaxInboundPerIp">The same from one source address.</param>
/// <param name="PartialFrameBudget">Bytes of receive buffers grown past 64 KiB for a partial frame (each counts whole,
/// as ArrayPool rounded it up), over all connections (<see cref="PeerFrameBudget"/>): a stranger's connection that
/// would go over it is closed. Not negative; the transport warns at start when it is below
/// <see cref="LargestFrameBuffer"/>.</param>
/// <param name="StrangerIpv6PrefixLength">The prefix a stranger's IPv6 address is counted by for the per-address
/// bounds: 64 (one host's share, RFC 4291 2.5.4) by default, 128 counts each address apart.</param>
/// <param name="HandshakeTimeout">Akka.Remote's handshake-timeout: with <paramref name="ConnectTimeout"/>, how long a
/// connection may wait for Akka.Remote to register its listener before it is closed (an orphan: Akka's handshake
/// timer won the race against the association it asked for).</param>
public sealed record PeerTransportSettings(
    string Hostname,
    int Port,
    string? PublicHostname,
    int? PublicPort,
    int MaximumFrameSize,
    bool EnableSsl,
    TimeSpan ConnectTimeout,
    int OutboundQueueBytes,
    int CoalesceBytes,
    TimeSpan FlushWait,
    int MaxPendingInbound,
    int MaxPendingInboundPerIp,
    int MaxInbound,
    int MaxInboundPerIp,
    long PartialFrameBudget,
    TimeSpan HandshakeTimeout,
    int StrangerIpv6PrefixLength = 64)
{
    /// <summary>The receive buffer a frame of maximum-frame-size grows to: its size with the length prefix, rounded up
    /// to a power of two as ArrayPool.Shared rents it (it pools arrays up to 1 GiB; larger ones are exact). A
    /// partial-frame-budget below it refuses a stranger's largest frames even on an idle port.</summary>
    public long LargestFrameBuffer
    {
        get
        {
            var frame = (long)MaximumFrameSize + 4;
            var rounded = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)frame);
            return rounded <= 1L << 30 ? rounded : frame;
        }
    }

    /// <summary>Reads <paramref name="config"/> (the transport's section); <paramref name="handshakeTimeout"/> is
    /// akka.remote.handshake-timeout.</summary>
    public static PeerTransportSettings Create(Config config, TimeSpan? handshakeTimeout = null)
    {
        var frame = config.GetByteSize("maximum-frame-size", 4L * 1024 * 1024) ?? 4L * 1024 * 1024;
        if (frame is < 32_000 or > int.MaxValue - 4)
            throw new ConfigurationException($"maximum-frame-size must be between 32000 bytes and 2 GiB, got {frame}");
        var publicHost = config.GetString("public-hostname", "");
        var publicPort = config.GetInt("public-port", 0);
        var queue = config.GetByteSize("outbound-queue-size", 16L * 1024 * 1024) ?? 16L * 1024 * 1024;
        var coalesce = config.GetByteSize("coalesce-size", 64L * 1024) ?? 64L * 1024;
        var budget = config.GetByteSize("partial-frame-budget", 256L * 1024 * 1024) ?? 256L * 1024 * 1024;
        // A negative budget was taken as 0 before: every stranger's large frame refused, silently.
        if (budget < 0) throw new ConfigurationException($"partial-frame-budget must not be negative, got {budget}");
        var prefix = config.GetInt("stranger-ipv6-prefix-length", 64);
        if (prefix is < 1 or > 128) throw new ConfigurationException($"stranger-ipv6-prefix-length must be between 1 and 128, got {prefix}");
        return new PeerTransportSettings(
            Hostname: config.GetString("hostname", "127.0.0.1") is { Length: > 0 } h ? h : "0.0.0.0",
            Port: config.GetInt("port", 0),
            PublicHostname: string.IsNullOrEmpty(publicHost) ? null : publicHost,
            PublicPort: publicPort > 0 ? publicPort : null,
            MaximumFrameSize: (int)frame,
            EnableSsl: config.GetBoolean("enable-ssl", false),
            ConnectTimeout: config.GetTimeSpan("connection-timeout", TimeSpan.FromSeconds(2)),
            OutboundQueueBytes: (int)Math.Clamp(queue, 64 * 1024, int.MaxValue),
            CoalesceBytes: (int)Math.Clamp(coalesce, 4 * 1024, 16 * 1024 * 1024),
            FlushWait: config.GetTimeSpan("flush-wait", TimeSpan.FromSeconds(2)),
            MaxPendingInbound: Math.Max(1, config.GetInt("max-pending-inbound", 64)),
            MaxPendingInboundPerIp: Math.Max(1, config.GetInt("max-pending-inbound-per-ip", 8)),
            MaxInbound: Math.Max(1, config.GetInt("max-inbound", 1024)),
            MaxInboundPerIp: Math.Max(1, config.GetInt("max-inbound-per-ip", 64)),
            PartialFrameBudget: budget,
            HandshakeTimeout: handshakeTimeout ?? TimeSpan.FromSeconds(15),
            StrangerIpv6PrefixLength: prefix);
    }
}
