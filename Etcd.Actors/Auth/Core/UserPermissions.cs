namespace Etcd.Actors.Auth.Core;

/// <summary>
/// One user's merged permissions (etcd's unifiedRangePermissions, range_perm_cache.go): what all its roles allow it
/// to read and to write, READWRITE counting for both.
/// </summary>
public sealed class UserPermissions
{
    public UserPermissions(IEnumerable<KeyPermission> permissions)
    {
        var list = permissions.ToList();
        Read = new MergedIntervals(list.Where(p => p.Allows(PermissionType.Read)).Select(p => KeyInterval.Of(p.Key, p.RangeEnd)));
        Write = new MergedIntervals(list.Where(p => p.Allows(PermissionType.Write)).Select(p => KeyInterval.Of(p.Key, p.RangeEnd)));
    }

    public MergedIntervals Read { get; }
    public MergedIntervals Write { get; }

    public MergedIntervals For(PermissionType type) => type switch
    {
        PermissionType.Read => Read,
        PermissionType.Write => Write,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a check is for READ or WRITE"),
    };
}
