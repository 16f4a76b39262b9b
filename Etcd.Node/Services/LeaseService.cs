using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Lease (etcd's v3rpc LeaseServer): each call goes to <see cref="EtcdServer"/>; an
/// <see cref="EtcdException"/> becomes etcd's gRPC status through <see cref="GrpcErrors"/>.
/// </summary>
public sealed class LeaseService(EtcdServer server) : Lease.LeaseBase
{
    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        try { return await server.LeaseGrantAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        try { return await server.LeaseRevokeAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    /// <summary>
    /// One renewal per request, answered in order on the same stream (etcd's recvLoop renews and sends one by one).
    /// An unknown lease answers TTL 0; any other error ends the stream with its status, as etcd's does.
    /// </summary>
    public override async Task LeaseKeepAlive(IAsyncStreamReader<LeaseKeepAliveRequest> requestStream,
        IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // The stream's metadata, checked on every renewal as etcd's LeaseRenew does (a permission revoked meanwhile wins).
        var token = AuthMetadata.Token(context);
        try
        {
            while (await requestStream.MoveNext(ct).ConfigureAwait(false))
            {
                var response = await server.LeaseKeepAliveAsync(requestStream.Current.ID, ct, token).ConfigureAwait(false);
                await responseStream.WriteAsync(response, ct).ConfigureAwait(false);
            }
        }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        try { return await server.LeaseTimeToLiveAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        try { return await server.LeaseLeasesAsync(context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }
}
