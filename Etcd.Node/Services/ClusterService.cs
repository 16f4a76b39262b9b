using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Cluster: membership. MemberList answers from this member's applied member table; the changes
/// go through Raft as conf changes, validated by the leader with etcd's rules and errors. Errors become gRPC
/// status through <see cref="GrpcErrors"/>.
/// </summary>
public sealed class ClusterService(EtcdServer server) : Cluster.ClusterBase
{
    public override async Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        try { return await server.MemberListAsync(AuthMetadata.Token(context), context.CancellationToken).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context)
    {
        try { return await server.MemberAddAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context)
    {
        try { return await server.MemberRemoveAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context)
    {
        try { return await server.MemberUpdateAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context)
    {
        try { return await server.MemberPromoteAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }
}
