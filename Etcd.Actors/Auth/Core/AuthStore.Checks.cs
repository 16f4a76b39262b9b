using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

public sealed partial class AuthStore
{
    // etcd's rangePermCache: one entry per user, built on the first check after a change and dropped by every change
    // (etcd rebuilds it for all users in refreshRangePermCache; building lazily does the same work at most once per
    // user and change). Bounded by the number of users.
    private readonly Dictionary<string, UserPermissions> _permissionCache = new(StringComparer.Ordinal);

    /// <summary>etcd's IsRangePermitted: READ on every key of <c>[key, rangeEnd)</c> (API range_end conventions).</summary>
    public EtcdError? IsRangePermitted(string user, ulong revision, ByteString key, ByteString rangeEnd) =>
        IsOpPermitted(user, revision, KeyInterval.Of(key, rangeEnd), PermissionType.Read);

    /// <summary>etcd's IsPutPermitted: WRITE on the key.</summary>
    public EtcdError? IsPutPermitted(string user, ulong revision, ByteString key) =>
        IsOpPermitted(user, revision, KeyInterval.Of(key, ByteString.Empty), PermissionType.Write);

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
        if (!_users.TryGetValue(user, out var u)) return PermissionCheck.Refused(EtcdErrors.PermissionDenied);
        if (u.HasRootRole) return PermissionCheck.Everything;
        return PermissionCheck.Within(PermissionsOf(u).For(type));
    }

    /// <summary>The user's merged permissions over all its roles (etcd's getMergedPerms); a missing role adds nothing.</summary>
    internal UserPermissions PermissionsOf(AuthUser user)
    {
        if (_permissionCache.TryGetValue(user.Name, out var cached)) return cached;
        var merged = new UserPermissions(user.Roles
            .Select(name => _roles.GetValueOrDefault(name))
            .OfType<AuthRole>()
            .SelectMany(r => r.Permissions));
        _permissionCache[user.Name] = merged;
        return merged;
    }

    /// <summary>How many users have a cache entry now (for specs: every change empties it).</summary>
    internal int CachedUsers => _permissionCache.Count;
}
