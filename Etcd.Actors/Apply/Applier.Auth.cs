using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using RequestCase = Etcd.Api.Etcdserverpb.InternalRaftRequest.RequestOneofCase;

namespace Etcd.Actors.Apply;

/// <summary>
/// etcd's auth applier (applierV3backend's Auth* methods over auth/store.go) and the permission checks of its
/// authApplierV3 wrapper (etcdserver/apply_auth.go): who may apply what is decided here, in log order, with the user and
/// auth revision the proposing member put in the entry's header, so a permission revoked between the edge and the apply
/// wins ("revision of auth store is old") and every member decides alike. Tokens go to the member's <see cref="Gate"/>.
/// </summary>
public sealed partial class Applier
{
    private static readonly RequestHeader NoHeader = new();
    private bool _authChanged;

    /// <summary>The applied auth state (loaded from the backend with the store; persisted with each batch that changes it).</summary>
    public AuthStore Auth { get; set; } = new();

    /// <summary>The member's token table and edge view; null in specs that apply without one (tokens are then only returned).</summary>
    public AuthGate? Gate { get; set; }

    /// <summary>Whether an entry applied since the last call changed the auth state (then it must be persisted).</summary>
    public bool TakeAuthChanged()
    {
        var changed = _authChanged;
        _authChanged = false;
        return changed;
    }

    /// <summary>authApplierV3's checks for a client's request; null when it may be applied.</summary>
    private EtcdError? CheckAuth(InternalRaftRequest r)
    {
        if (!Auth.Enabled) return null;
        var h = r.Header;
        switch (r.RequestCase)
        {
            // A member's own proposals (lease expiry, compaction, publish, checkpoints) carry no header: not a client's.
            case RequestCase.Put when h is not null:
                return CheckPut(h, r.Put);
            case RequestCase.DeleteRange when h is not null:
                return CheckDelete(h, r.DeleteRange);
            case RequestCase.Txn when h is not null:
                return CheckTxn(h, r.Txn);
            case RequestCase.LeaseRevoke when h is not null:
                return CheckLeasePuts(h, r.LeaseRevoke.ID);
            case RequestCase.AuthUserGet:
                h ??= NoHeader;
                return Auth.IsAdminPermitted(h.Username) is { } e && r.AuthUserGet.Name != h.Username ? e : null;
            case RequestCase.AuthRoleGet:
                h ??= NoHeader;
                return Auth.IsAdminPermitted(h.Username) is { } e2 && Auth.FindUser(h.Username)?.Roles.Contains(r.AuthRoleGet.Role) != true ? e2 : null;
            case RequestCase.AuthEnable or RequestCase.AuthDisable or RequestCase.AuthUserAdd or RequestCase.AuthUserDelete
                or RequestCase.AuthUserChangePassword or RequestCase.AuthUserGrantRole or RequestCase.AuthUserRevokeRole
                or RequestCase.AuthUserList or RequestCase.AuthRoleAdd or RequestCase.AuthRoleGrantPermission
                or RequestCase.AuthRoleRevokePermission or RequestCase.AuthRoleDelete or RequestCase.AuthRoleList:
                return Auth.IsAdminPermitted((h ?? NoHeader).Username);
            default:
                return null;
        }
    }

    private EtcdError? CheckPut(RequestHeader h, PutRequest p) =>
        Auth.IsPutPermitted(h.Username, h.AuthRevision, p.Key)
        // A lease already attached to a key this user may not write: the user could not revoke it, so may not attach it.
        ?? (p.Lease != 0 ? CheckLeasePuts(h, p.Lease) : null)
        ?? (p.PrevKv ? Auth.IsRangePermitted(h.Username, h.AuthRevision, p.Key, ByteString.Empty) : null);

    private EtcdError? CheckDelete(RequestHeader h, DeleteRangeRequest d) =>
        Auth.IsDeleteRangePermitted(h.Username, h.AuthRevision, d.Key, d.RangeEnd)
        ?? (d.PrevKv ? Auth.IsRangePermitted(h.Username, h.AuthRevision, d.Key, d.RangeEnd) : null);

    /// <summary>etcd's checkTxnReqsPermission: every compare and every op of both branches, whichever runs.</summary>
    private EtcdError? CheckTxn(RequestHeader h, TxnRequest t)
    {
        foreach (var c in t.Compare)
            if (Auth.IsRangePermitted(h.Username, h.AuthRevision, c.Key, c.RangeEnd) is { } e) return e;
        return CheckOps(h, t.Success) ?? CheckOps(h, t.Failure);
    }

    private EtcdError? CheckOps(RequestHeader h, IEnumerable<RequestOp> ops)
    {
        foreach (var op in ops)
        {
            var e = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestRange =>
                    Auth.IsRangePermitted(h.Username, h.AuthRevision, op.RequestRange.Key, op.RequestRange.RangeEnd),
                RequestOp.RequestOneofCase.RequestPut => CheckPut(h, op.RequestPut),
                RequestOp.RequestOneofCase.RequestDeleteRange => CheckDelete(h, op.RequestDeleteRange),
                RequestOp.RequestOneofCase.RequestTxn => CheckTxn(h, op.RequestTxn),
                _ => null,
            };
            if (e is not null) return e;
        }
        return null;
    }

    /// <summary>etcd's checkLeasePuts: WRITE on every key attached to the lease.</summary>
    private EtcdError? CheckLeasePuts(RequestHeader h, long lease)
    {
        if (Leases is null) return null;
        foreach (var key in Leases.Keys(lease))
            if (Auth.IsPutPermitted(h.Username, h.AuthRevision, key) is { } e) return e;
        return null;
    }

    /// <summary>
    /// A read served at the applied state, checked with the auth revision its token was resolved at (etcd's doSerialize
    /// with isOpPermitted): a permission revoked, a user deleted or a password changed since is "revision of auth store
    /// is old", never an answer from a state the token no longer stands for. As etcd's doSerialize after its read
    /// (`ai.Revision != authStore.Revision()`), a token at a revision this member has not reached (a JWT issued by a
    /// member further ahead) is refused the same way; isOpPermitted alone (`&lt;`) would let it read.
    /// </summary>
    private EtcdError? CheckRead(IMessage request, RequestHeader? asker)
    {
        if (asker is null || !Auth.Enabled) return null;
        var denied = request switch
        {
            RangeRequest range => Auth.IsRangePermitted(asker.Username, asker.AuthRevision, range.Key, range.RangeEnd),
            TxnRequest txn => CheckTxn(asker, txn),
            _ => null,
        };
        return denied ?? (asker.AuthRevision != 0 && asker.AuthRevision != Auth.Revision ? EtcdErrors.AuthOldRevision : null);
    }

    private ApplyResult ApplyAuth(InternalRaftRequest r, ulong term, ulong index)
    {
        var revision = Auth.Revision;
        var enabled = Auth.Enabled;
        var result = ApplyAuthRequest(r, term, index);
        if (Auth.Revision != revision || Auth.Enabled != enabled) _authChanged = true;
        return result;
    }

    private ApplyResult ApplyAuthRequest(InternalRaftRequest r, ulong term, ulong index)
    {
        switch (r.RequestCase)
        {
            case RequestCase.AuthEnable:
                return Done(Auth.AuthEnable(), () => new AuthEnableResponse { Header = Header(term) });
            case RequestCase.AuthDisable:
                if (Auth.AuthDisable()) Gate?.ClearTokens();
                return Done(null, () => new AuthDisableResponse { Header = Header(term) });
            case RequestCase.Authenticate:
                return Authenticate(r.Authenticate, (r.Header ?? NoHeader).AuthRevision, term, index);
            case RequestCase.AuthUserAdd:
            {
                var a = r.AuthUserAdd;
                var noPassword = a.Options?.NoPassword ?? false;
                // Only our edge proposes, and it always sends the hash; anything else never reaches the store.
                if (!noPassword && a.HashedPassword.Length == 0) return new ApplyResult(null, EtcdErrors.InvalidAuthMgmt);
                return Done(Auth.UserAdd(a.Name, noPassword ? "" : a.HashedPassword, noPassword), () => new AuthUserAddResponse { Header = Header(term) });
            }
            case RequestCase.AuthUserDelete:
            {
                var error = Auth.UserDelete(r.AuthUserDelete.Name);
                if (error is null) Gate?.InvalidateUser(r.AuthUserDelete.Name);
                return Done(error, () => new AuthUserDeleteResponse { Header = Header(term) });
            }
            case RequestCase.AuthUserChangePassword:
            {
                var c = r.AuthUserChangePassword;
                if (c.HashedPassword.Length == 0) return new ApplyResult(null, EtcdErrors.InvalidAuthMgmt);
                var error = Auth.UserChangePassword(c.Name, c.HashedPassword);
                if (error is null) Gate?.InvalidateUser(c.Name);
                return Done(error, () => new AuthUserChangePasswordResponse { Header = Header(term) });
            }
            case RequestCase.AuthUserGrantRole:
                return Done(Auth.UserGrantRole(r.AuthUserGrantRole.User, r.AuthUserGrantRole.Role),
                    () => new AuthUserGrantRoleResponse { Header = Header(term) });
            case RequestCase.AuthUserRevokeRole:
                return Done(Auth.UserRevokeRole(r.AuthUserRevokeRole.Name, r.AuthUserRevokeRole.Role),
                    () => new AuthUserRevokeRoleResponse { Header = Header(term) });
            case RequestCase.AuthUserGet:
            {
                var error = Auth.UserGet(r.AuthUserGet.Name, out var roles);
                return Done(error, () => new AuthUserGetResponse { Header = Header(term), Roles = { roles } });
            }
            case RequestCase.AuthUserList:
                return Done(null, () => new AuthUserListResponse { Header = Header(term), Users = { Auth.UserList() } });
            case RequestCase.AuthRoleAdd:
                return Done(Auth.RoleAdd(r.AuthRoleAdd.Name), () => new AuthRoleAddResponse { Header = Header(term) });
            case RequestCase.AuthRoleGrantPermission:
            {
                var g = r.AuthRoleGrantPermission;
                var permission = g.Perm is null ? null : new KeyPermission((PermissionType)(int)g.Perm.PermType, g.Perm.Key, g.Perm.RangeEnd);
                return Done(Auth.RoleGrantPermission(g.Name, permission), () => new AuthRoleGrantPermissionResponse { Header = Header(term) });
            }
            case RequestCase.AuthRoleRevokePermission:
            {
                var v = r.AuthRoleRevokePermission;
                return Done(Auth.RoleRevokePermission(v.Role, v.Key, v.RangeEnd), () => new AuthRoleRevokePermissionResponse { Header = Header(term) });
            }
            case RequestCase.AuthRoleGet:
            {
                var error = Auth.RoleGet(r.AuthRoleGet.Role, out var permissions);
                return Done(error, () =>
                {
                    var response = new AuthRoleGetResponse { Header = Header(term) };
                    response.Perm.AddRange(permissions.Select(p => new Etcd.Api.Authpb.Permission
                    {
                        PermType = (Etcd.Api.Authpb.Permission.Types.Type)(int)p.Type,
                        Key = p.Key,
                        RangeEnd = p.RangeEnd,
                    }));
                    return response;
                });
            }
            case RequestCase.AuthRoleDelete:
                return Done(Auth.RoleDelete(r.AuthRoleDelete.Role), () => new AuthRoleDeleteResponse { Header = Header(term) });
            case RequestCase.AuthRoleList:
                return Done(null, () => new AuthRoleListResponse { Header = Header(term), Roles = { Auth.RoleList() } });
            default:
                throw new ArgumentException($"not an auth request: {r.RequestCase}", nameof(r));
        }
    }

    /// <summary>
    /// etcd's Authenticate apply: the proposing member checked the password at <paramref name="checkedRevision"/>; if
    /// the auth state changed since (a new password, a deleted user), the check is stale and the member checks again.
    /// The token is <c>prefix.index</c>, the same on every member.
    /// </summary>
    private ApplyResult Authenticate(InternalAuthenticateRequest a, ulong checkedRevision, ulong term, ulong index)
    {
        if (!Auth.Enabled) return new ApplyResult(null, EtcdErrors.AuthNotEnabled);
        if (checkedRevision != Auth.Revision) return new ApplyResult(null, EtcdErrors.AuthOldRevision);
        if (Auth.FindUser(a.Name) is not { NoPassword: false }) return new ApplyResult(null, EtcdErrors.AuthFailed);
        // No prefix: a JWT member's entry (etcd's tokenJWT.genTokenPrefix is ""). The check above is all the apply does;
        // the proposing member signs the token itself once this answer reaches it, so no other member signs or keeps one.
        if (a.SimpleToken.Length == 0) return new ApplyResult(new AuthenticateResponse { Header = Header(term) }, null);
        if (a.SimpleToken.Length != SimpleTokens.PrefixLength || a.SimpleToken.Any(c => !SimpleTokens.Letters.Contains(c)))
            return new ApplyResult(null, EtcdErrors.InvalidAuthToken);
        var token = Gate?.AssignToken(a.Name, a.SimpleToken, index)
                    ?? $"{a.SimpleToken}.{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return new ApplyResult(new AuthenticateResponse { Header = Header(term), Token = token }, null);
    }

    private static ApplyResult Done(EtcdError? error, Func<IMessage> response) =>
        error is null ? new ApplyResult(response(), null) : new ApplyResult(null, error);

    internal static bool IsAuthRequest(RequestCase c) => c is RequestCase.AuthEnable or RequestCase.AuthDisable
        or RequestCase.Authenticate or RequestCase.AuthUserAdd or RequestCase.AuthUserDelete or RequestCase.AuthUserChangePassword
        or RequestCase.AuthUserGrantRole or RequestCase.AuthUserGet or RequestCase.AuthUserRevokeRole or RequestCase.AuthUserList
        or RequestCase.AuthRoleAdd or RequestCase.AuthRoleGrantPermission or RequestCase.AuthRoleGet
        or RequestCase.AuthRoleRevokePermission or RequestCase.AuthRoleDelete or RequestCase.AuthRoleList;
}
