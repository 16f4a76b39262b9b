using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// One permission of a role (authpb.Permission): <see cref="Type"/> on one key (empty <see cref="RangeEnd"/>), on
/// <c>[Key, RangeEnd)</c>, or on every key from <see cref="Key"/> on (<c>RangeEnd = "\0"</c>).
/// </summary>
public sealed record KeyPermission(PermissionType Type, ByteString Key, ByteString RangeEnd)
{
    public static KeyPermission Of(PermissionType type, string key, string rangeEnd = "") =>
        new(type, ByteString.CopyFromUtf8(key), ByteString.CopyFromUtf8(rangeEnd));

    /// <summary>
    /// etcd's isValidPermissionRange (auth/range_perm_cache.go): a non-empty key, and a range_end that is empty
    /// (one key), above the key, or <c>"\0"</c> (open-ended). Anything else is refused with "invalid auth management".
    /// </summary>
    public bool IsValidRange =>
        Key.Length > 0 && (RangeEnd.Length == 0 || KeyBytes.Compare(Key, RangeEnd) < 0 || KeyBytes.IsOpenEnded(RangeEnd));

    public bool Allows(PermissionType wanted) => Type == PermissionType.ReadWrite || Type == wanted;

    /// <summary>The same key and range_end (what RoleGrantPermission updates and RoleRevokePermission removes).</summary>
    public bool SameRange(ByteString key, ByteString rangeEnd) => Key.Equals(key) && RangeEnd.Equals(rangeEnd);
}
