using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Maintenance: Status only (what `etcdctl endpoint status` calls). Alarm, Defragment, Hash,
/// HashKV, Snapshot and MoveLeader fall through to the base class, which answers Unimplemented.
/// </summary>
public sealed class MaintenanceService(EtcdServer server) : Maintenance.MaintenanceBase
{
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        server.StatusAsync(context.CancellationToken);
}
