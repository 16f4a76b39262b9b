using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Auth: every call is a Raft entry applied on every member (EtcdServer.Auth.cs), made with the caller's
/// token (gRPC metadata <c>token</c>); etcd 3.4 has no AuthStatus RPC. Errors become gRPC status through
/// <see cref="GrpcErrors"/>.
/// </summary>
public sealed class AuthService(EtcdServer server) : Auth.AuthBase
{
    public override Task<AuthEnableResponse> AuthEnable(AuthEnableRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.AuthEnableAsync(request, t, ct));

    public override Task<AuthDisableResponse> AuthDisable(AuthDisableRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.AuthDisableAsync(request, t, ct));

    public override Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context) =>
        Call(context, (_, ct) => server.AuthenticateAsync(request, ct));

    public override Task<AuthUserAddResponse> UserAdd(AuthUserAddRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserAddAsync(request, t, ct));

    public override Task<AuthUserGetResponse> UserGet(AuthUserGetRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserGetAsync(request, t, ct));

    public override Task<AuthUserListResponse> UserList(AuthUserListRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserListAsync(request, t, ct));

    public override Task<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserDeleteAsync(request, t, ct));

    public override Task<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserChangePasswordAsync(request, t, ct));

    public override Task<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserGrantRoleAsync(request, t, ct));

    public override Task<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.UserRevokeRoleAsync(request, t, ct));

    public override Task<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleAddAsync(request, t, ct));

    public override Task<AuthRoleGetResponse> RoleGet(AuthRoleGetRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleGetAsync(request, t, ct));

    public override Task<AuthRoleListResponse> RoleList(AuthRoleListRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleListAsync(request, t, ct));

    public override Task<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleDeleteAsync(request, t, ct));

    public override Task<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleGrantPermissionAsync(request, t, ct));

    public override Task<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest request, ServerCallContext context) =>
        Call(context, (t, ct) => server.RoleRevokePermissionAsync(request, t, ct));

    private static async Task<T> Call<T>(ServerCallContext context, Func<string?, CancellationToken, Task<T>> call)
    {
        try { return await call(AuthMetadata.Token(context), context.CancellationToken).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }
}
