using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;

namespace Etcd.Actors.Peer.Transport;

// Accepting: each accepted connection gets connection-timeout for its TLS handshake; at most max-pending-inbound are
// in a handshake at once and max-pending-inbound-per-ip from one address, and at most max-inbound connections are
// open and max-inbound-per-ip from one address (PeerInboundLimits); a connection over a bound is closed on arrival,
// with a warning at most once per address per 30 s; members' addresses pass the global bounds (PeerInboundLimits says
// why). So strangers who connect and say nothing hold neither a slot for
// long nor many slots, and one address cannot take the slots the members need. Without TLS there is no handshake
// here: Akka.Remote's own protocol handshake (handshake-timeout) ends a silent inbound association above us.
public sealed partial class PeerTcpTransport
{
    private static readonly TimeSpan AcceptBackoffMin = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan AcceptBackoffMax = TimeSpan.FromSeconds(1);

    private async Task AcceptLoopAsync(IAssociationEventListener listener)
    {
        try
        {
            await AcceptAsync(listener).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A bug of ours: said, since nobody observes this task; the port then takes no more connections.
            _log.Error(e, "peer transport: the accept loop failed; no more inbound connections are taken");
        }
    }

    private async Task AcceptAsync(IAssociationEventListener listener)
    {
        var server = _server!;
        var backoff = AcceptBackoffMin;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            IPEndPoint remote;
            try
            {
                socket = await server.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Per-connection trouble (reset before accept): the listener goes on. Anything else (out of
                // descriptors, EMFILE) fails again at once: wait, doubling up to 1 s, instead of spinning a core.
                Warn("accept", $"accept failed: {e.Message}");
                if (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset) continue;
                try { await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, AcceptBackoffMax.Ticks));
                continue;
            }
            backoff = AcceptBackoffMin;
            try
            {
                remote = (IPEndPoint)socket.RemoteEndPoint!;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                socket.Dispose();
                continue;
            }
            var (slot, refused) = _limits.TryAdmit(remote.Address);
            if (refused is not null)
            {
                Warn(slot.ToString(), $"rejected incoming connection from {remote}: {refused}");
                socket.Dispose();
                continue;
            }
            _ = InboundAsync(socket, remote, slot, listener);
        }
    }

    private async Task InboundAsync(Socket socket, IPEndPoint remote, PeerInboundSlot slot, IAssociationEventListener listener)
    {
        var established = false;
        try
        {
            socket.NoDelay = true;
            // Like DotNetty's SO_KEEPALIVE: a member that vanished without a FIN is found out by the kernel too.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_tls is not null)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(Settings.ConnectTimeout);
                try
                {
                    stream = await _tls.AsServerAsync(stream, remote.ToString(), timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    Warn(remote, e is OperationCanceledException
                        ? $"rejected incoming connection from {remote}: no TLS handshake within {Settings.ConnectTimeout.TotalMilliseconds:0} ms"
                        : $"rejected incoming connection from {remote} due to TLS handshake failure: {e.Message}");
                    return;
                }
            }
            var localEnd = (IPEndPoint)socket.LocalEndPoint!;
            var local = new Address(SchemeIdentifier, System.Name, MappedHost(localEnd.Address), localEnd.Port);
            var remoteAddress = new Address(SchemeIdentifier, System.Name, HostOf(remote.Address), remote.Port);
            var handle = new PeerAssociationHandle(this, local, remoteAddress, socket, stream, remote.Address, slot);
            // From here the handle counts as open until it ends (Forget).
            _limits.Established(slot);
            established = true;
            listener.Notify(new InboundAssociation(Open(handle)));
        }
        catch (Exception e)
        {
            if (e is not (IOException or SocketException or ObjectDisposedException))
                _log.Error(e, "peer transport: taking the connection from {0} failed", remote);
            if (!established) socket.Dispose();
        }
        finally
        {
            if (!established) _limits.Abandoned(slot);
        }
    }

    /// <summary>A connection Akka.Remote never took (no listener registered within connection-timeout +
    /// handshake-timeout): it is closed, and said at most once per peer host per 30 s.</summary>
    internal void WarnUnregistered(PeerAssociationHandle handle) =>
        Warn(handle.RemoteAddress.Host, $"closed the connection {handle}: Akka.Remote did not take it within {(Settings.ConnectTimeout + Settings.HandshakeTimeout).TotalMilliseconds:0} ms");

    /// <summary>A frame whose length prefix is negative or over maximum-frame-size: the connection ends (the reader
    /// returns) and it is said, at most once per peer host per 30 s.</summary>
    internal void WarnBadFrame(PeerAssociationHandle handle, int length) =>
        Warn(handle.RemoteAddress.Host, $"closed the connection from {handle.RemoteAddress}: a frame of {length} bytes, maximum-frame-size is {Settings.MaximumFrameSize}");

    /// <summary>A stranger's partial frame would take the partial-frame budget over: the connection ends (the reader
    /// returns), said at most once per peer host per 30 s.</summary>
    internal void WarnFrameBudget(PeerAssociationHandle handle, long buffer) =>
        Warn(handle.RemoteAddress.Host, $"closed the connection from {handle.RemoteAddress}: a partial frame needs a {buffer} byte buffer, over the partial-frame-budget ({FrameBudget.Used} of {FrameBudget.Limit} bytes held)");

    /// <summary>An exception the loops do not expect (a bug of ours): logged with the connection, which then ends.</summary>
    internal void Unexpected(PeerAssociationHandle handle, string loop, Exception e) =>
        _log.Error(e, "peer transport: the {0} of {1} failed; closing the connection", loop, handle);

    private void Warn(EndPoint? from, string what) => Warn((from as IPEndPoint)?.Address.ToString() ?? "unknown", what);

    private void Warn(string host, string what)
    {
        long suppressed;
        bool warn;
        lock (_warnings) warn = _warnings.ShouldWarn(host, out suppressed);
        if (!warn) return;
        if (suppressed > 0) _log.Warning("peer transport: {0} ({1} more from {2} since the last warning)", what, suppressed, host);
        else _log.Warning("peer transport: {0}", what);
    }
}
