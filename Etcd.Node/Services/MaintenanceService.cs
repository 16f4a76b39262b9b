using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Maintenance: Status (what `etcdctl endpoint status` calls) and MoveLeader (`etcdctl
/// move-leader`). Alarm, Defragment, Hash, HashKV and Snapshot fall through to the base class, which answers
/// Unimplemented.
/// </summary>
public sealed class MaintenanceService(EtcdServer server) : Maintenance.MaintenanceBase
{
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        server.StatusAsync(context.CancellationToken);

    public override Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context) =>
        server.MoveLeaderAsync(request, context.CancellationToken);
}
