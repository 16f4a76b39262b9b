using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Maintenance: Status (what `etcdctl endpoint status` calls), MoveLeader (`etcdctl
/// move-leader`), Hash and HashKV (`etcdctl endpoint hashkv`) and Alarm (`etcdctl alarm list|disarm`).
/// Defragment and Snapshot fall through to the base class, which answers Unimplemented. Errors become gRPC
/// status through <see cref="GrpcErrors"/>. While auth is enabled each checks its caller as etcd 3.4.42+ does
/// (docs/design.md "Auth").
/// </summary>
public sealed class MaintenanceService(EtcdServer server) : Maintenance.MaintenanceBase
{
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        try
        {
            // Root only while auth is enabled (etcd 3.4.42's authMaintenanceServer, the fix for CVE-2026-33413); errors translated.
            await server.CheckAdminAsync(AuthMetadata.Token(context), context.CancellationToken).ConfigureAwait(false);
            return await server.StatusAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context)
    {
        try { return await server.MoveLeaderAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<HashKVResponse> HashKV(HashKVRequest request, ServerCallContext context)
    {
        try
        {
            // etcd 3.4's authMaintenanceServer: root only while auth is enabled, its errors untranslated (Hash too).
            await server.CheckMaintenanceAdminAsync(AuthMetadata.Token(context), context.CancellationToken).ConfigureAwait(false);
            return await server.HashKvAsync(request, context.CancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<HashResponse> Hash(HashRequest request, ServerCallContext context)
    {
        try
        {
            await server.CheckMaintenanceAdminAsync(AuthMetadata.Token(context), context.CancellationToken).ConfigureAwait(false);
            return await server.HashAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public override async Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context)
    {
        try { return await server.AlarmAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }
}
