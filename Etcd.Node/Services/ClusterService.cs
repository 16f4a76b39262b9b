using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Cluster: membership. MemberList answers from this member's applied member table; the changes
/// go through Raft as conf changes, validated by the leader with etcd's rules and errors.
/// </summary>
public sealed class ClusterService(EtcdServer server) : Cluster.ClusterBase
{
    public override Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context) =>
        server.MemberListAsync(context.CancellationToken);

    public override Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context) =>
        server.MemberAddAsync(request, context.CancellationToken);

    public override Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context) =>
        server.MemberRemoveAsync(request, context.CancellationToken);

    public override Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context) =>
        server.MemberUpdateAsync(request, context.CancellationToken);

    public override Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context) =>
        server.MemberPromoteAsync(request, context.CancellationToken);
}
