using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Maintenance: Status (what `etcdctl endpoint status` calls), MoveLeader (`etcdctl
/// move-leader`), Hash and HashKV (`etcdctl endpoint hashkv`) and Alarm (`etcdctl alarm list|disarm`).
/// Defragment and Snapshot fall through to the base class, which answers Unimplemented.
/// </summary>
public sealed class MaintenanceService(EtcdServer server) : Maintenance.MaintenanceBase
{
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        server.StatusAsync(context.CancellationToken);

    public override Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context) =>
        server.MoveLeaderAsync(request, context.CancellationToken);

    public override Task<HashKVResponse> HashKV(HashKVRequest request, ServerCallContext context) =>
        server.HashKvAsync(request, context.CancellationToken);

    public override Task<HashResponse> Hash(HashRequest request, ServerCallContext context) =>
        server.HashAsync(context.CancellationToken);

    public override Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context) =>
        server.AlarmAsync(request, context.CancellationToken);
}
