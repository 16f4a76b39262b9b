using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

public sealed partial class AuthStore
{
    private static readonly Comparer<KeyPermission> PermissionOrder = Comparer<KeyPermission>.Create((a, b) =>
    {
        var byKey = KeyBytes.Compare(a.Key, b.Key);
        return byKey != 0 ? byKey : KeyBytes.Compare(a.RangeEnd, b.RangeEnd);
    });

    /// <summary>etcd's RoleAdd: a non-empty, new name; the role starts with no permission.</summary>
    public EtcdError? RoleAdd(string name)
    {
        if (name.Length == 0) return EtcdErrors.RoleEmpty;
        if (_roles.ContainsKey(name)) return EtcdErrors.RoleAlreadyExist;
        _roles[name] = AuthRole.Empty(name);
        Changed();
        return null;
    }

    /// <summary>etcd's RoleDelete: the root role cannot go while auth is enabled; users holding the role lose it.</summary>
    public EtcdError? RoleDelete(string name)
    {
        if (Enabled && name == RootRole) return EtcdErrors.InvalidAuthMgmt;
        if (!_roles.Remove(name)) return EtcdErrors.RoleNotFound;
        foreach (var u in _users.Values.Where(u => u.Roles.Contains(name)).ToList())
            _users[u.Name] = u with { Roles = u.Roles.Remove(name) };
        Changed();
        return null;
    }

    /// <summary>
    /// etcd's RoleGrantPermission: a permission must be given and its range valid; granting the same key and range_end
    /// again replaces its type. Permissions stay sorted by key (then range_end), as RoleGet shows them.
    /// </summary>
    public EtcdError? RoleGrantPermission(string name, KeyPermission? permission)
    {
        if (permission is null) return EtcdErrors.PermissionNotGiven;
        // A permType outside READ/WRITE/READWRITE comes from the wire (proto3 keeps unknown enum numbers): etcd 3.4
        // stores it and then ignores it in every check; refusing it keeps the state meaningful and apply from throwing.
        if (!permission.IsValidRange || !Enum.IsDefined(permission.Type)) return EtcdErrors.InvalidAuthMgmt;
        if (!_roles.TryGetValue(name, out var role)) return EtcdErrors.RoleNotFound;
        var existing = role.Permissions.FindIndex(p => p.SameRange(permission.Key, permission.RangeEnd));
        var permissions = existing >= 0
            ? role.Permissions.SetItem(existing, permission)
            : role.Permissions.Add(permission).Sort(PermissionOrder);
        _roles[name] = role with { Permissions = permissions };
        Changed();
        return null;
    }

    /// <summary>etcd's RoleRevokePermission: removes the permission on exactly this key and range_end.</summary>
    public EtcdError? RoleRevokePermission(string name, ByteString key, ByteString rangeEnd)
    {
        if (!_roles.TryGetValue(name, out var role)) return EtcdErrors.RoleNotFound;
        var kept = role.Permissions.RemoveAll(p => p.SameRange(key, rangeEnd));
        if (kept.Count == role.Permissions.Count) return EtcdErrors.PermissionNotGranted;
        _roles[name] = role with { Permissions = kept };
        Changed();
        return null;
    }

    /// <summary>etcd's RoleGet: the role's permissions.</summary>
    public EtcdError? RoleGet(string name, out IReadOnlyList<KeyPermission> permissions)
    {
        permissions = [];
        if (!_roles.TryGetValue(name, out var role)) return EtcdErrors.RoleNotFound;
        permissions = role.Permissions;
        return null;
    }

    /// <summary>etcd's RoleList: every role name, sorted.</summary>
    public IReadOnlyList<string> RoleList() => _roles.Keys.ToList();
}
