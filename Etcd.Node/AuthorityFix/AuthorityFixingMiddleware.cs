using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Etcd.Node.AuthorityFix;

/// <summary>
/// Kestrel connection middleware, below HTTP/2, that lets etcdctl 3.4's per-endpoint commands ("endpoint status",
/// "endpoint hashkv") through. For those, etcdctl 3.4 dials "passthrough:///http://host:port" and grpc-go sends
/// ":authority: http://host:port", which Kestrel (Http2Stream.TryValidatePseudoHeaders → HttpUtilities.IsHostHeaderValid)
/// answers with RST_STREAM PROTOCOL_ERROR while etcd (Go) accepts it. Kestrel has no option to relax that check
/// (https://github.com/dotnet/aspnetcore/issues/18522, closed without one; https://github.com/dotnet/aspnetcore/issues/47043
/// for the same with grpc-go over Unix sockets), so the inbound bytes are rewritten before Kestrel parses them
/// (<see cref="Http2InboundRewriter"/>).
///
/// etcd's own client stopped sending such authorities in 3.5 (https://github.com/etcd-io/etcd/issues/13192, fixed for one
/// endpoint by https://github.com/etcd-io/etcd/pull/13359 in 3.5.1, for several by https://github.com/etcd-io/etcd/pull/16324).
/// When etcdctl before 3.5 no longer needs supporting, delete this folder (Etcd.Node/AuthorityFix), its specs
/// (Etcd.Specs/Node/*Rewriter*Specs.cs, HpackHuffmanSpecs.cs) and the one <c>listen.Use</c> in ClientListeners; nothing
/// else depends on it (ArchitectureSpecs checks that).
///
/// Cost: a connection whose first header block is fine (every client but etcdctl 3.4's per-endpoint commands) is only
/// copied from then on; the copy through the extra pipe remains. Measured in docs/design.md ("The :authority
/// rewriter"); <c>ETCDACTORS_AUTHORITY_FIX=off</c> turns the middleware off.
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
