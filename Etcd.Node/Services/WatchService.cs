using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Watch: bridges one bidirectional call to a <see cref="WatchSession"/> (etcd's serverWatchStream):
/// requests are read and handed in as they come, responses written as the session yields them, by one writer.
/// A client that half-closes keeps its watchers (etcd's recvLoop ends without closing the stream); the call ends
/// when the client goes away, or with Unavailable when the stream ends on the member's side (WatchSession.RunAsync).
/// </summary>
public sealed class WatchService(EtcdServer server) : Watch.WatchBase
{
    /// <summary>
    /// Responses written while more are ready at once, at most this many in a row, are not flushed each (gRPC's
    /// BufferHint): a burst (one committed batch seen by every watcher of the stream) goes out in one flush instead
    /// of one HTTP/2 flush per watcher. The bound keeps a stream whose queue never empties flushing regularly.
    /// </summary>
    internal const int MaxUnflushedResponses = 16;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    public override async Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        WatchSession session;
        try { session = await server.OpenWatchAsync(ct, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }

        var unflushed = 0;
        await using (session.ConfigureAwait(false))
        {
            try
            {
                await session.RunAsync(async c =>
                {
                    try
                    {
                        return await requestStream.MoveNext(c).ConfigureAwait(false) ? requestStream.Current : null;
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException || e is RpcException { StatusCode: StatusCode.Cancelled })
                    {
                        return null; // the client went away
                    }
                }, r =>
                {
                    // The last response of a burst (nothing more ready) is always flushed, so nothing waits in the
                    // buffer (WatchBurstSpecs).
                    var buffer = session.MoreReady && ++unflushed < MaxUnflushedResponses;
                    if (!buffer) unflushed = 0;
                    responseStream.WriteOptions = buffer ? Buffered : null;
                    return responseStream.WriteAsync(r, ct);
                }, ct).ConfigureAwait(false);
            }
            catch (EtcdException e)
            {
                // The stream ended on this member's side (WatchSession.StreamEnded): end the call, the client reconnects.
                throw GrpcErrors.ToRpcException(e.Error);
            }
        }
    }
}
