using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Etcd.Node.Hosting;

/// <summary>
/// Kestrel connection middleware, below HTTP/2, that lets etcdctl's "endpoint status" and "endpoint hashkv"
/// through: for those grpc-go dials "passthrough:///http://host:port" and sends ":authority: http://host:port",
/// which Kestrel (Http2Stream.TryValidatePseudoHeaders → HttpUtilities.IsHostHeaderValid) answers with
/// RST_STREAM PROTOCOL_ERROR while etcd (Go) accepts it. No Kestrel option turns that validation off, so the
/// inbound byte stream is rewritten before Kestrel parses it (<see cref="Http2InboundRewriter"/>).
/// </summary>
internal static class AuthorityFixingMiddleware
{
    public static ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var original = connection.Transport;
        var transport = new AuthorityFixingTransport(original, connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool);
        connection.Transport = transport;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = original;
            // Kestrel is done with the connection; completing its input releases a pump waiting on a full pipe.
            await transport.Input.CompleteAsync().ConfigureAwait(false);
            await transport.StopAsync().ConfigureAwait(false);
        }
    };
}
