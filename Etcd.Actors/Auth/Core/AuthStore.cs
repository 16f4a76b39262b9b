using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// etcd's auth store (auth/store.go) as a pure state machine: users, roles, the enabled flag and the auth revision,
/// changed only by the operations etcd applies from Raft, so every member that applies the same entries holds the
/// same state. Each operation answers etcd's error and changes nothing, or changes the state and raises the
/// revision by one (etcd's commitRevision). Passwords arrive already hashed: hashing uses a random salt, so it
/// happens before the proposal (as etcd 3.5 does with <c>hashedPassword</c>), never in apply.
/// <para>Partials: users (<c>AuthStore.Users.cs</c>), roles (<c>AuthStore.Roles.cs</c>), permission checks and
/// the per-user cache (<c>AuthStore.Checks.cs</c>), passwords (<c>AuthStore.Passwords.cs</c>).</para>
/// </summary>
public sealed partial class AuthStore
{
    public const string RootUser = "root";
    public const string RootRole = "root";

    private readonly SortedDictionary<string, AuthUser> _users = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, AuthRole> _roles = new(StringComparer.Ordinal);

    /// <summary>A fresh store: disabled, revision 1 (etcd's NewAuthStore commits revision 1 on an empty backend).</summary>
    public AuthStore() : this(enabled: false, revision: 1, [], []) { }

    /// <summary>A store recovered from its persisted form (see <see cref="AuthStateCodec"/>); checks its invariants.</summary>
    public AuthStore(bool enabled, ulong revision, IEnumerable<AuthUser> users, IEnumerable<AuthRole> roles)
    {
        if (revision == 0) throw new InvalidOperationException("auth: the auth revision starts at 1");
        Enabled = enabled;
        Revision = revision;
        foreach (var u in users)
        {
            if (u.Name.Length == 0 || !_users.TryAdd(u.Name, u))
                throw new InvalidOperationException($"auth: recovered user '{u.Name}' is empty or duplicated");
            if (!u.NoPassword && u.PasswordHash.Length == 0)
                throw new InvalidOperationException($"auth: recovered user '{u.Name}' has neither a password hash nor no-password");
        }
        foreach (var r in roles)
        {
            if (r.Name.Length == 0 || !_roles.TryAdd(r.Name, r))
                throw new InvalidOperationException($"auth: recovered role '{r.Name}' is empty or duplicated");
            if (r.Permissions.Any(p => !p.IsValidRange || !Enum.IsDefined(p.Type)))
                throw new InvalidOperationException($"auth: recovered role '{r.Name}' has an invalid permission range");
        }
        if (enabled && !(_users.TryGetValue(RootUser, out var root) && root.HasRootRole))
            throw new InvalidOperationException("auth: recovered as enabled without a root user holding the root role");
    }

    public bool Enabled { get; private set; }

    /// <summary>etcd's auth revision: raised by every change, so a request checked at an older one is refused.</summary>
    public ulong Revision { get; private set; }

    public IEnumerable<AuthUser> Users => _users.Values;
    public IEnumerable<AuthRole> Roles => _roles.Values;

    /// <summary>
    /// etcd's AuthEnable: needs a root user holding the root role. Enabling an enabled store is a no-op, and as in
    /// etcd 3.4 enabling does not raise the revision (nothing could hold a token from before: there were none).
    /// </summary>
    public EtcdError? AuthEnable()
    {
        if (Enabled) return null;
        if (!_users.TryGetValue(RootUser, out var root)) return EtcdErrors.RootUserNotExist;
        if (!root.HasRootRole) return EtcdErrors.RootRoleNotExist;
        Enabled = true;
        Changed(raiseRevision: false);
        return null;
    }

    /// <summary>etcd's AuthDisable: a no-op when disabled; otherwise raises the revision. True when it changed.</summary>
    public bool AuthDisable()
    {
        if (!Enabled) return false;
        Enabled = false;
        Changed(raiseRevision: true);
        return true;
    }

    /// <summary>Every change ends here: the revision (etcd's commitRevision) and the permission cache.</summary>
    private void Changed(bool raiseRevision = true)
    {
        if (raiseRevision) Revision = checked(Revision + 1);
        _permissionCache.Clear();
    }
}
