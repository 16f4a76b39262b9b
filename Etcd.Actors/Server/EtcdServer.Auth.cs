using Etcd.Actors.Apply;
using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// The Auth service's door and the edge's half of enforcement. Every Auth RPC is a Raft entry applied on every member
/// (Applier.Auth.cs), carrying the caller's user and auth revision in its header; passwords are hashed here with bcrypt
/// before proposing and never travel or persist in clear. Authenticate checks the password here (one bcrypt check
/// whatever the user) and proposes the token's random prefix, so every member assigns the same token; with JWT tokens
/// it proposes no prefix and signs the token here once the entry is applied (docs/design.md "Auth").
/// </summary>
public sealed partial class EtcdServer
{
    /// <summary>Authenticate proposals retried when the auth state changed between the password check and the apply.</summary>
    private const int MaxAuthenticateAttempts = 3;

    private static readonly RequestHeader AnonymousHeader = new();

    /// <summary>The member's auth view and token table.</summary>
    public AuthGate Auth => _refs.Auth;

    /// <summary>
    /// etcd's AuthInfoFromCtx: null while auth is disabled or without a token; the token's user and the current auth
    /// revision (a JWT's own revision; a client certificate's CN, <see cref="CertificateCredential"/>, at the current one);
    /// "invalid auth token" for a malformed, unknown or expired one. A token made by an entry this member has
    /// not applied yet (its index is above the applied one) is looked up again once this member caught up, as etcd's
    /// isValidSimpleToken waits for the index.
    /// </summary>
    public async ValueTask<RequestHeader?> AuthInfoAsync(string? token, CancellationToken ct)
    {
        var gate = _refs.Auth;
        if (!gate.Enabled || string.IsNullOrEmpty(token)) return null;
        // etcd's AuthInfoFromTLS: no token, --client-cert-auth, a verified certificate: its CN is the user, at the current
        // auth revision. The user need not exist; its requests are then refused as any unknown user's.
        if (CertificateCredential.TryGetUser(token, out var commonName))
            return new RequestHeader { Username = commonName, AuthRevision = gate.Revision };
        // The revision is read before the token (etcd's AuthInfoFromCtx order): a token resolved just before a change
        // that invalidates it then carries the older revision, and its request fails at apply as "revision ... is old".
        if (gate.Jwt is { } jwt)
        {
            // etcd's tokenJWT.info: the token itself says who and at which auth revision it was issued; a change to the
            // auth state since makes its requests fail as "revision of auth store is old", as in etcd.
            var identity = await jwt.VerifyAsync(token).ConfigureAwait(false) ?? throw EtcdErrors.InvalidAuthToken.ToException();
            return new RequestHeader { Username = identity.User, AuthRevision = identity.Revision };
        }
        var revision = gate.Revision;
        if (gate.Resolve(token, out var user) is null) return new RequestHeader { Username = user, AuthRevision = revision };
        if (SimpleTokens.TryParseIndex(token, out var index) && index > gate.Applied)
        {
            await LinearizableBarrierAsync(ct).ConfigureAwait(false);
            revision = gate.Revision;
            if (gate.Resolve(token, out user) is null) return new RequestHeader { Username = user, AuthRevision = revision };
        }
        throw EtcdErrors.InvalidAuthToken.ToException();
    }

    /// <summary>The header a client's proposal carries: who asked (empty without a token, or while auth is disabled).</summary>
    private async ValueTask<RequestHeader> ClientHeaderAsync(string? token, CancellationToken ct) =>
        (string.IsNullOrEmpty(token) ? null : await AuthInfoAsync(token, ct).ConfigureAwait(false)) ?? AnonymousHeader;

    /// <summary>
    /// etcd's isWatchPermitted: READ on the watched range, checked at the auth revision the token was resolved at (a JWT
    /// issued before any auth change is "revision of auth store is old", as etcd's isOpPermitted). Null when permitted,
    /// else the refusal: no token (while enabled) "user name is empty", a bad token "invalid auth token".
    /// </summary>
    private async ValueTask<EtcdError?> IsWatchPermittedAsync(string? token, WatchCreateRequest create, CancellationToken ct)
    {
        if (!_refs.Auth.Enabled) return null;
        RequestHeader? info;
        try
        {
            info = await AuthInfoAsync(token, ct).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            return e.Error;
        }
        // No token: etcd checks an empty AuthInfo (revision 0), which is "user name is empty".
        return _refs.Auth.IsRangePermitted(info?.Username ?? "", info?.AuthRevision ?? 0, create.Key, create.RangeEnd);
    }

    public async Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, CancellationToken ct = default)
    {
        ThrowIfLearner();
        // etcd reads the auth state linearizably first: a user added through another member a moment ago can log in.
        await LinearizableBarrierAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            Check(_refs.Auth.CheckPassword(request.Name, request.Password, out var checkedRevision));
            var jwt = _refs.Auth.Jwt;
            // etcd finds a verify-only key only at apply; refused here, after the password check as there, nothing is proposed.
            if (jwt is { VerifyOnly: true }) throw EtcdErrors.AuthVerifyOnly.ToException();
            var proposal = new InternalRaftRequest
            {
                Header = new RequestHeader { AuthRevision = checkedRevision },
                Authenticate = new InternalAuthenticateRequest
                {
                    Name = request.Name,
                    SimpleToken = jwt is null ? SimpleTokens.NewPrefix(CryptoTokenRandom.Instance) : "",
                },
            };
            try
            {
                var response = (AuthenticateResponse)await ProposeAsync(proposal, ct).ConfigureAwait(false);
                if (jwt is null) return response;
                // The apply confirmed the check at checkedRevision (else AuthOldRevision): that is the token's revision.
                var signed = response.Clone();
                signed.Token = jwt.Sign(request.Name, checkedRevision);
                return signed;
            }
            catch (EtcdException e) when (e.Error == EtcdErrors.AuthOldRevision && attempt < MaxAuthenticateAttempts)
            {
                // The auth state changed after the check (a new password, a deleted user): check again on the new state.
                await LinearizableBarrierAsync(ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<AuthEnableResponse> AuthEnableAsync(AuthEnableRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthEnableResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthEnable = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthDisableResponse> AuthDisableAsync(AuthDisableRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthDisableResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthDisable = request }, token, ct).ConfigureAwait(false);

    /// <summary>
    /// While auth is on, only root may add a user or change a password: checked here, against the published state,
    /// before the bcrypt hash (which costs up to seconds at a high --bcrypt-cost), so an anonymous or unprivileged
    /// caller cannot make the member hash for it. etcd hashes only at apply, after its admin check; the apply still
    /// decides here too (a change in between wins).
    /// </summary>
    private async ValueTask RequireAdminBeforeHashingAsync(string? token, CancellationToken ct)
    {
        var gate = _refs.Auth;
        if (!gate.Enabled) return;
        var user = (await AuthInfoAsync(token, ct).ConfigureAwait(false))?.Username ?? "";
        if (gate.IsAdminPermitted(user) is { } denied) throw denied.ToException();
    }

    /// <summary>UserAdd: the password is hashed here (bcrypt, --bcrypt-cost) and only the hash is proposed.</summary>
    public async Task<AuthUserAddResponse> UserAddAsync(AuthUserAddRequest request, string? token = null, CancellationToken ct = default)
    {
        await RequireAdminBeforeHashingAsync(token, ct).ConfigureAwait(false);
        var noPassword = request.Options?.NoPassword ?? false;
        var add = new AuthUserAddRequest
        {
            Name = request.Name,
            Options = request.Options?.Clone(),
            HashedPassword = noPassword ? "" : _refs.Auth.Hasher.Hash(request.Password),
        };
        return (AuthUserAddResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserAdd = add }, token, ct).ConfigureAwait(false);
    }

    public async Task<AuthUserChangePasswordResponse> UserChangePasswordAsync(AuthUserChangePasswordRequest request, string? token = null,
        CancellationToken ct = default)
    {
        await RequireAdminBeforeHashingAsync(token, ct).ConfigureAwait(false);
        var change = new AuthUserChangePasswordRequest { Name = request.Name, HashedPassword = _refs.Auth.Hasher.Hash(request.Password) };
        return (AuthUserChangePasswordResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserChangePassword = change }, token, ct)
            .ConfigureAwait(false);
    }

    public async Task<AuthUserGetResponse> UserGetAsync(AuthUserGetRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthUserGetResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserGet = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthUserListResponse> UserListAsync(AuthUserListRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthUserListResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserList = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthUserDeleteResponse> UserDeleteAsync(AuthUserDeleteRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthUserDeleteResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserDelete = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthUserGrantRoleResponse> UserGrantRoleAsync(AuthUserGrantRoleRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthUserGrantRoleResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserGrantRole = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthUserRevokeRoleResponse> UserRevokeRoleAsync(AuthUserRevokeRoleRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthUserRevokeRoleResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthUserRevokeRole = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthRoleAddResponse> RoleAddAsync(AuthRoleAddRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthRoleAddResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleAdd = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthRoleGetResponse> RoleGetAsync(AuthRoleGetRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthRoleGetResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleGet = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthRoleListResponse> RoleListAsync(AuthRoleListRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthRoleListResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleList = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthRoleDeleteResponse> RoleDeleteAsync(AuthRoleDeleteRequest request, string? token = null, CancellationToken ct = default) =>
        (AuthRoleDeleteResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleDelete = request }, token, ct).ConfigureAwait(false);

    public async Task<AuthRoleGrantPermissionResponse> RoleGrantPermissionAsync(AuthRoleGrantPermissionRequest request, string? token = null,
        CancellationToken ct = default) =>
        (AuthRoleGrantPermissionResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleGrantPermission = request }, token, ct)
            .ConfigureAwait(false);

    public async Task<AuthRoleRevokePermissionResponse> RoleRevokePermissionAsync(AuthRoleRevokePermissionRequest request, string? token = null,
        CancellationToken ct = default) =>
        (AuthRoleRevokePermissionResponse)await ProposeAuthAsync(new InternalRaftRequest { AuthRoleRevokePermission = request }, token, ct)
            .ConfigureAwait(false);

    /// <summary>An auth management entry, with the caller's user and auth revision (checked at apply: root only).</summary>
    private async Task<Google.Protobuf.IMessage> ProposeAuthAsync(InternalRaftRequest request, string? token, CancellationToken ct)
    {
        ThrowIfLearner();
        request.Header = await ClientHeaderAsync(token, ct).ConfigureAwait(false);
        return await ProposeAsync(request, ct).ConfigureAwait(false);
    }
}
