using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using Akka.Remote.Transport.DotNetty;
using Etcd.Actors.Serialization;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// The peer port's transport under Akka.Remote (<c>akka.remote.enabled-transports = ["akka.remote.etcd-peer"]</c>,
/// member.conf): plain sockets, length-prefixed frames, optional TLS (<see cref="PeerTls"/>). Akka.Remote constructs it
/// from (ActorSystem, its config section) (EndpointManager) and layers everything else over it as over DotNetty: the
/// Akka protocol handshake and heartbeats (AkkaProtocolTransport), EndpointWriter/Reader, our serializers and the
/// trust checks. Its scheme is DotNetty's, <c>tcp</c> or <c>ssl.tcp</c>, so addresses stay <c>akka.tcp://etcd@…</c>
/// and <c>akka.ssl.tcp://etcd@…</c> and a member can be switched back to DotNetty by configuration alone.
/// Bytes only: what is sent, and when, is decided above (RaftActor sends only after its Ready is persisted).
/// </summary>
public sealed partial class PeerTcpTransport : Akka.Remote.Transport.Transport
{
    private readonly ILoggingAdapter _log;
    private readonly PeerTls? _tls;
    private readonly TaskCompletionSource<IAssociationEventListener> _listener = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<PeerAssociationHandle, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stopping = new();
    private readonly PeerWarnings _warnings;
    private readonly PeerInboundLimits _limits;
    private readonly PeerMemberAddresses _members;
    private Socket? _server;

    public PeerTcpTransport(ActorSystem system, Config config)
    {
        System = system;
        Config = config;
        Settings = PeerTransportSettings.Create(config, system.Settings.Config.GetTimeSpan("akka.remote.handshake-timeout", TimeSpan.FromSeconds(15)));
        // The member table's addresses when the member publishes them (EtcdNode); else nobody is a member.
        var members = system.Settings.Setup.Get<PeerMembersSetup>();
        _members = members.HasValue ? members.Value.Addresses : new PeerMemberAddresses();
        _limits = new PeerInboundLimits(Settings, _members);
        FrameBudget = new PeerFrameBudget(Settings.PartialFrameBudget);
        _log = Logging.GetLogger(system, typeof(PeerTcpTransport));
        if (Settings.PartialFrameBudget < Settings.LargestFrameBuffer)
            _log.Warning("peer transport: partial-frame-budget ({0} bytes) is below the {1} byte buffer a frame of maximum-frame-size ({2} bytes) needs: " +
                "large frames from addresses outside the member table (a member behind NAT) are refused even when nothing else holds the budget",
                Settings.PartialFrameBudget, Settings.LargestFrameBuffer, Settings.MaximumFrameSize);
        if (Settings.EnableSsl)
        {
            var setup = system.Settings.Setup.Get<DotNettySslSetup>();
            if (!setup.HasValue) throw new ConfigurationException("enable-ssl = on needs the member's certificate (a DotNettySslSetup, EtcdNode)");
            _tls = new PeerTls(setup.Value, _log);
        }
        SchemeIdentifier = Settings.EnableSsl ? "ssl.tcp" : "tcp";
        MaximumPayloadBytes = Settings.MaximumFrameSize;
        var start = Environment.TickCount64;
        _warnings = new PeerWarnings(TimeSpan.FromSeconds(30), 64, () => TimeSpan.FromMilliseconds(Environment.TickCount64 - start));
    }

    internal PeerTransportSettings Settings { get; }

    /// <summary>The bytes partial frames may hold over all connections (PeerAssociationHandle.Reader.cs).</summary>
    internal PeerFrameBudget FrameBudget { get; }

    /// <summary>Whether <paramref name="ip"/> is a member's address now (the member table may change while a
    /// connection lives).</summary>
    internal bool IsMember(IPAddress ip) => _members.Contains(ip);

    public override bool IsResponsibleFor(Address remote) => true;

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var ip = await ResolveAsync(Settings.Hostname, CancellationToken.None).ConfigureAwait(false);
        var server = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Bound to [::], IPv4 members are taken too (DotNetty's listener is dual-mode there as well).
            if (ip.Equals(IPAddress.IPv6Any)) server.DualMode = true;
            server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            server.Bind(new IPEndPoint(ip, Settings.Port));
            server.Listen(512);
        }
        catch (SocketException e)
        {
            server.Dispose();
            throw new Akka.Remote.RemoteTransportException($"Failed to bind to [{Settings.Hostname}:{Settings.Port}]. See InnerException for details.", e);
        }
        _server = server;
        var bound = (IPEndPoint)server.LocalEndPoint!;
        var local = new Address(SchemeIdentifier, System.Name, Settings.PublicHostname ?? HostOf(bound.Address), Settings.PublicPort ?? bound.Port);
        // Connections wait in the backlog until Akka.Remote hands us who hears of them.
        _ = _listener.Task.ContinueWith(t => AcceptLoopAsync(t.Result), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return (local, _listener);
    }

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        if (_server is null) throw new InvalidAssociationException("Transport is not bound");
        if (remoteAddress.Port is not { } port) throw new InvalidAssociationException($"Address port must not be null: {remoteAddress}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(Settings.ConnectTimeout);
        var socket = (Socket?)null;
        try
        {
            var ip = await ResolveAsync(remoteAddress.Host, timeout.Token).ConfigureAwait(false);
            if (ip.Equals(IPAddress.Any)) ip = IPAddress.Loopback;
            if (ip.Equals(IPAddress.IPv6Any)) ip = IPAddress.IPv6Loopback;
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            await socket.ConnectAsync(new IPEndPoint(ip, port), timeout.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_tls is not null)
            {
                try { stream = await _tls.AsClientAsync(stream, remoteAddress, timeout.Token).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new InvalidAssociationException($"TLS handshake failed for {remoteAddress}: {e.Message}", e);
                }
            }
            var localEnd = (IPEndPoint)socket.LocalEndPoint!;
            var local = new Address(SchemeIdentifier, System.Name, MappedHost(localEnd.Address), localEnd.Port);
            return Open(new PeerAssociationHandle(this, local, remoteAddress, socket, stream, ip));
        }
        catch (OperationCanceledException)
        {
            socket?.Dispose();
            throw new InvalidAssociationException($"Connection to {remoteAddress} timed out after {Settings.ConnectTimeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            throw new InvalidAssociationException($"{e.Message} {remoteAddress}");
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting and ends every connection still open now: Akka.Remote calls it last, after its
    /// endpoints stopped (those disassociated gracefully already; what is left is cut).</summary>
    public override Task<bool> Shutdown()
    {
        _stopping.Cancel();
        _server?.Dispose();
        foreach (var h in _open.Keys.ToArray()) h.End();
        return Task.FromResult(true);
    }

    private PeerAssociationHandle Open(PeerAssociationHandle handle)
    {
        _open.TryAdd(handle, 0);
        if (_stopping.IsCancellationRequested) handle.End();
        handle.Start();
        return handle;
    }

    /// <summary>A connection ended (once per handle): it no longer counts, nor against the inbound bounds.</summary>
    internal void Forget(PeerAssociationHandle handle)
    {
        _open.TryRemove(handle, out _);
        if (handle.InboundSlot is { } slot) _limits.Closed(slot);
    }

    /// <summary>A handle's local address as DotNetty names it: the configured host name, else the socket's address.</summary>
    private string MappedHost(IPAddress address) => Settings.Hostname is { Length: > 0 } h
        ? IPAddress.TryParse(h, out var configured) ? HostOf(configured) : h
        : HostOf(address);

    private static string HostOf(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return ip;
        var all = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        // DotNetty's default (dns-use-ipv6 = false): an IPv4 address when there is one.
        return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.FirstOrDefault()
            ?? throw new InvalidAssociationException($"Couldn't resolve IP endpoint from provided DNS name '{host}'");
    }
}
