using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

public sealed partial class AuthStore
{
    // etcd's rangePermCache, widened to the whole per-user answer: one entry per known user, its READ and WRITE checks
    // (root: everything; otherwise its merged intervals), built on the first check after a change and dropped by every
    // change (Changed in AuthStore.cs), so an entry is only ever read at the revision it was built at. etcd rebuilds
    // its cache for all users in refreshRangePermCache; building lazily does the same work at most once per user and
    // change. A check of a cached user is one hash lookup and one binary search: no sorted-dictionary walk for the
    // user, no role-set walk for root, nothing allocated (the put path of every client request with auth on,
    // Applier.Auth.cs). Bounded by the number of users: a name that is not a user (a certificate's CN may be any) is
    // answered without an entry.
    private readonly Dictionary<string, UserChecks> _permissionCache = new(StringComparer.Ordinal);

    /// <summary>etcd's IsRangePermitted: READ on every key of <c>[key, rangeEnd)</c> (API range_end conventions).</summary>
    public EtcdError? IsRangePermitted(string user, ulong revision, ByteString key, ByteString rangeEnd) =>
        rangeEnd.Length == 0
            ? CheckFor(user, revision, PermissionType.Read).PermitsKey(key)
            : IsOpPermitted(user, revision, KeyInterval.Of(key, rangeEnd), PermissionType.Read);

    /// <summary>etcd's IsPutPermitted: WRITE on the key (its one-key interval, without making it: PermissionCheck.PermitsKey).</summary>
    public EtcdError? IsPutPermitted(string user, ulong revision, ByteString key) =>
        CheckFor(user, revision, PermissionType.Write).PermitsKey(key);

    /// <summary>etcd's IsDeleteRangePermitted: WRITE on every key of the range.</summary>
    public EtcdError? IsDeleteRangePermitted(string user, ulong revision, ByteString key, ByteString rangeEnd) =>
        IsOpPermitted(user, revision, KeyInterval.Of(key, rangeEnd), PermissionType.Write);

    /// <summary>
    /// etcd's IsAdminPermitted: what only root may do (user and role management, member changes, defragment,
    /// snapshot, hash). Everything is allowed while auth is disabled.
    /// </summary>
    public EtcdError? IsAdminPermitted(string user)
    {
        if (!Enabled) return null;
        if (user.Length == 0) return EtcdErrors.UserEmpty;
        if (!_users.TryGetValue(user, out var u)) return EtcdErrors.UserNotFound;
        return u.HasRootRole ? null : EtcdErrors.PermissionDenied;
    }

    /// <summary>
    /// etcd's isOpPermitted: disabled allows everything; a request without a user (revision 0, no token) is "user name
    /// is empty"; one checked at an auth revision older than the store's is refused, so a revoked permission, a deleted
    /// user or a changed password takes effect at once; a user holding the root role may do everything.
    /// </summary>
    private EtcdError? IsOpPermitted(string user, ulong revision, KeyInterval wanted, PermissionType type) =>
        CheckFor(user, revision, type).Permits(wanted);

    /// <summary>
    /// <see cref="IsOpPermitted"/> decided up to the key, for a caller that checks many keys: the result is immutable
    /// and holds the user's merged permissions, so the keys may be checked without the caller's lock.
    /// </summary>
    public PermissionCheck CheckFor(string user, ulong revision, PermissionType type)
    {
        if (!Enabled) return PermissionCheck.Everything;
        if (revision == 0 || user.Length == 0) return PermissionCheck.Refused(EtcdErrors.UserEmpty);
        if (revision < Revision) return PermissionCheck.Refused(EtcdErrors.AuthOldRevision);
        if (_permissionCache.TryGetValue(user, out var cached)) return cached.For(type);
        if (!_users.TryGetValue(user, out var u)) return PermissionCheck.Refused(EtcdErrors.PermissionDenied);
        var checks = u.HasRootRole ? UserChecks.Root : new UserChecks(PermissionsOf(u));
        _permissionCache[user] = checks;
        return checks.For(type);
    }

    /// <summary>The user's merged permissions over all its roles (etcd's getMergedPerms); a missing role adds nothing.</summary>
    internal UserPermissions PermissionsOf(AuthUser user) =>
        new(user.Roles
            .Select(name => _roles.GetValueOrDefault(name))
            .OfType<AuthRole>()
            .SelectMany(r => r.Permissions));

    /// <summary>How many users have a cache entry now (for specs: every change empties it).</summary>
    internal int CachedUsers => _permissionCache.Count;

    /// <summary>One user's answers up to the key: everything for root, else its merged READ and WRITE intervals.</summary>
    private sealed class UserChecks
    {
        public static readonly UserChecks Root = new(PermissionCheck.Everything, PermissionCheck.Everything);

        private readonly PermissionCheck _read;
        private readonly PermissionCheck _write;

        public UserChecks(UserPermissions permissions)
            : this(PermissionCheck.Within(permissions.Read), PermissionCheck.Within(permissions.Write)) { }

        private UserChecks(PermissionCheck read, PermissionCheck write)
        {
            _read = read;
            _write = write;
        }

        public PermissionCheck For(PermissionType type) => type switch
        {
            PermissionType.Read => _read,
            PermissionType.Write => _write,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a check is for READ or WRITE"),
        };
    }
}
