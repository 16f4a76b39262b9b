using System.Collections.Immutable;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth.Core;

public sealed partial class AuthStore
{
    /// <summary>
    /// etcd's UserAdd: a non-empty, new name. <paramref name="passwordHash"/> is the bcrypt hash made before the
    /// proposal; a <paramref name="noPassword"/> user has none and can only authenticate by its certificate's CN.
    /// </summary>
    public EtcdError? UserAdd(string name, string passwordHash, bool noPassword)
    {
        if (name.Length == 0) return EtcdErrors.UserEmpty;
        if (_users.ContainsKey(name)) return EtcdErrors.UserAlreadyExist;
        if (!noPassword && passwordHash.Length == 0)
            throw new ArgumentException("auth: a user with a password needs its hash", nameof(passwordHash));
        _users[name] = new AuthUser(name, noPassword ? "" : passwordHash, AuthUser.NoRoles, noPassword);
        Changed();
        return null;
    }

    /// <summary>etcd's UserDelete: the root user cannot be deleted while auth is enabled.</summary>
    public EtcdError? UserDelete(string name)
    {
        if (Enabled && name == RootUser) return EtcdErrors.InvalidAuthMgmt;
        if (!_users.Remove(name)) return EtcdErrors.UserNotFound;
        Changed();
        return null;
    }

    /// <summary>
    /// etcd's UserChangePassword: roles and options stay (a no-password user keeps its option, as in etcd, so it still
    /// cannot authenticate by password).
    /// </summary>
    public EtcdError? UserChangePassword(string name, string passwordHash)
    {
        if (!_users.TryGetValue(name, out var user)) return EtcdErrors.UserNotFound;
        if (passwordHash.Length == 0) throw new ArgumentException("auth: a new password needs its hash", nameof(passwordHash));
        _users[name] = user with { PasswordHash = passwordHash };
        Changed();
        return null;
    }

    /// <summary>
    /// etcd's UserGrantRole: the role must exist, except <c>root</c>, which may be granted before it is added (etcd's
    /// special case). Granting a role the user has is a no-op that keeps the revision.
    /// </summary>
    public EtcdError? UserGrantRole(string user, string role)
    {
        if (!_users.TryGetValue(user, out var u)) return EtcdErrors.UserNotFound;
        if (role != RootRole && !_roles.ContainsKey(role)) return EtcdErrors.RoleNotFound;
        if (u.Roles.Contains(role)) return null;
        _users[user] = u with { Roles = u.Roles.Add(role) };
        Changed();
        return null;
    }

    /// <summary>etcd's UserRevokeRole: root cannot lose the root role while auth is enabled.</summary>
    public EtcdError? UserRevokeRole(string name, string role)
    {
        if (Enabled && name == RootUser && role == RootRole) return EtcdErrors.InvalidAuthMgmt;
        if (!_users.TryGetValue(name, out var u)) return EtcdErrors.UserNotFound;
        if (!u.Roles.Contains(role)) return EtcdErrors.RoleNotGranted;
        _users[name] = u with { Roles = u.Roles.Remove(role) };
        Changed();
        return null;
    }

    /// <summary>etcd's UserGet: the user's roles, sorted.</summary>
    public EtcdError? UserGet(string name, out IReadOnlyList<string> roles)
    {
        roles = [];
        if (!_users.TryGetValue(name, out var u)) return EtcdErrors.UserNotFound;
        roles = u.Roles.ToImmutableArray();
        return null;
    }

    /// <summary>etcd's UserList: every user name, sorted.</summary>
    public IReadOnlyList<string> UserList() => _users.Keys.ToList();

    public AuthUser? FindUser(string name) => _users.GetValueOrDefault(name);
}
