using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;

namespace Etcd.Actors.Peer.Transport;

// Accepting: each accepted connection gets connection-timeout for its TLS handshake, and at most
// max-pending-inbound are in a handshake at once (more are closed on arrival), so strangers who connect and say
// nothing hold neither a slot for long nor many slots. Without TLS there is no handshake here: Akka.Remote's own
// protocol handshake (handshake-timeout) ends a silent inbound association above us.
public sealed partial class PeerTcpTransport
{
    private async Task AcceptLoopAsync(IAssociationEventListener listener)
    {
        var server = _server!;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
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
                // Per-connection trouble (reset before accept, out of descriptors): the listener itself goes on.
                _log.Warning("peer transport: accept failed: {0}", e.Message);
                continue;
            }
            if (Interlocked.Increment(ref _pendingInbound) > Settings.MaxPendingInbound)
            {
                Interlocked.Decrement(ref _pendingInbound);
                Warn(socket.RemoteEndPoint, $"rejected incoming connection from {socket.RemoteEndPoint}: too many connections in their handshake (max-pending-inbound {Settings.MaxPendingInbound})");
                socket.Dispose();
                continue;
            }
            _ = InboundAsync(socket, listener);
        }
    }

    private async Task InboundAsync(Socket socket, IAssociationEventListener listener)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        try
        {
            socket.NoDelay = true;
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
            listener.Notify(new InboundAssociation(Open(new PeerAssociationHandle(this, local, remoteAddress, socket, stream))));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            socket.Dispose();
        }
        finally
        {
            Interlocked.Decrement(ref _pendingInbound);
        }
    }

    /// <summary>A frame whose length prefix is negative or over maximum-frame-size: the connection ends (the reader
    /// returns) and it is said, at most once per peer host per 30 s.</summary>
    internal void WarnBadFrame(PeerAssociationHandle handle, int length) =>
        Warn(handle.RemoteAddress.Host, $"closed the connection from {handle.RemoteAddress}: a frame of {length} bytes, maximum-frame-size is {Settings.MaximumFrameSize}");

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
