using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// The auth store's operations as etcd 3.4 applies them (auth/store.go): each refusal is etcd's error and changes
/// nothing (same revision, same rows); each change raises the auth revision by exactly one.
/// </summary>
public sealed class AuthStoreSpecs
{
    private static AuthStore WithRoot(bool enable)
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", "h:rootpw", noPassword: false));
        Assert.Null(s.UserGrantRole("root", "root"));
        if (enable) Assert.Null(s.AuthEnable());
        return s;
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>Runs <paramref name="op"/>, expects <paramref name="expected"/>, and checks the revision and rows.</summary>
    private static void Expect(AuthStore s, EtcdError? expected, Func<AuthStore, EtcdError?> op)
    {
        var before = AuthStateCodec.ToRows(s).Select(r => (r.Bucket, r.Key, r.Value)).ToList();
        var revision = s.Revision;
        var result = op(s);
        Assert.Equal(expected, result);
        var after = AuthStateCodec.ToRows(s).Select(r => (r.Bucket, r.Key, r.Value)).ToList();
        if (expected is null)
        {
            Assert.Equal(revision + 1, s.Revision);
            Assert.NotEqual(before, after);
        }
        else
        {
            Assert.Equal(revision, s.Revision);
            Assert.Equal(before, after);
        }
    }

    public static TheoryData<string, string?> Operations => new()
    {
        // name, expected message (null = succeeds); each on a store with root (root role), user "u", role "r"
        // granted READ on "k", auth enabled.
        { "user add empty", "etcdserver: user name is empty" },
        { "user add existing", "etcdserver: user name already exists" },
        { "user delete unknown", "etcdserver: user name not found" },
        { "user delete root while enabled", "etcdserver: invalid auth management" },
        { "user passwd unknown", "etcdserver: user name not found" },
        { "user grant to unknown user", "etcdserver: user name not found" },
        { "user grant unknown role", "etcdserver: role name not found" },
        { "user revoke unknown user", "etcdserver: user name not found" },
        { "user revoke not granted", "etcdserver: role is not granted to the user" },
        { "user revoke root from root while enabled", "etcdserver: invalid auth management" },
        { "role add empty", "etcdserver: role name is empty" },
        { "role add existing", "etcdserver: role name already exists" },
        { "role delete unknown", "etcdserver: role name not found" },
        { "role delete root while enabled", "etcdserver: invalid auth management" },
        { "role grant no permission", "etcdserver: permission not given" },
        { "role grant empty key", "etcdserver: invalid auth management" },
        { "role grant end below key", "etcdserver: invalid auth management" },
        { "role grant end equal key", "etcdserver: invalid auth management" },
        { "role grant unknown type", "etcdserver: invalid auth management" },
        { "role grant to unknown role", "etcdserver: role name not found" },
        { "role revoke unknown role", "etcdserver: role name not found" },
        { "role revoke not granted", "etcdserver: permission is not granted to the role" },
        { "role revoke same key other end", "etcdserver: permission is not granted to the role" },
        { "user add", null },
        { "user add no-password", null },
        { "user delete", null },
        { "user passwd", null },
        { "user grant", null },
        { "user revoke", null },
        { "role add", null },
        { "role delete", null },
        { "role grant key", null },
        { "role grant prefix", null },
        { "role grant from-key", null },
        { "role grant all keys", null },
        { "role grant changes type", null },
        { "role revoke", null },
        { "auth disable", null },
    };

    private static readonly Dictionary<string, Func<AuthStore, EtcdError?>> Ops = new()
    {
        ["user add empty"] = s => s.UserAdd("", "h:x", false),
        ["user add existing"] = s => s.UserAdd("u", "h:x", false),
        ["user delete unknown"] = s => s.UserDelete("nobody"),
        ["user delete root while enabled"] = s => s.UserDelete("root"),
        ["user passwd unknown"] = s => s.UserChangePassword("nobody", "h:x"),
        ["user grant to unknown user"] = s => s.UserGrantRole("nobody", "r"),
        ["user grant unknown role"] = s => s.UserGrantRole("u", "nope"),
        ["user revoke unknown user"] = s => s.UserRevokeRole("nobody", "r"),
        ["user revoke not granted"] = s => s.UserRevokeRole("root", "r"),
        ["user revoke root from root while enabled"] = s => s.UserRevokeRole("root", "root"),
        ["role add empty"] = s => s.RoleAdd(""),
        ["role add existing"] = s => s.RoleAdd("r"),
        ["role delete unknown"] = s => s.RoleDelete("nope"),
        ["role delete root while enabled"] = s => s.RoleDelete("root"),
        ["role grant no permission"] = s => s.RoleGrantPermission("r", null),
        ["role grant empty key"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Read, "")),
        ["role grant end below key"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Read, "b", "a")),
        ["role grant end equal key"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Read, "b", "b")),
        ["role grant unknown type"] = s => s.RoleGrantPermission("r", KeyPermission.Of((PermissionType)7, "a")),
        ["role grant to unknown role"] = s => s.RoleGrantPermission("nope", KeyPermission.Of(PermissionType.Read, "a")),
        ["role revoke unknown role"] = s => s.RoleRevokePermission("nope", B("k"), ByteString.Empty),
        ["role revoke not granted"] = s => s.RoleRevokePermission("r", B("other"), ByteString.Empty),
        ["role revoke same key other end"] = s => s.RoleRevokePermission("r", B("k"), B("l")),
        ["user add"] = s => s.UserAdd("v", "h:x", false),
        ["user add no-password"] = s => s.UserAdd("cn-user", "", true),
        ["user delete"] = s => s.UserDelete("u"),
        ["user passwd"] = s => s.UserChangePassword("u", "h:new"),
        ["user grant"] = s => s.UserGrantRole("root", "r"),
        ["user revoke"] = s => s.UserRevokeRole("u", "r"),
        ["role add"] = s => s.RoleAdd("r2"),
        ["role delete"] = s => s.RoleDelete("r"),
        ["role grant key"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "x")),
        ["role grant prefix"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "x", "y")),
        ["role grant from-key"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "x", "\0")),
        ["role grant all keys"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.ReadWrite, "\0", "\0")),
        ["role grant changes type"] = s => s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.ReadWrite, "k")),
        ["role revoke"] = s => s.RoleRevokePermission("r", B("k"), ByteString.Empty),
        ["auth disable"] = s => s.AuthDisable() ? null : EtcdErrors.Stopped,
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public void Each_operation_answers_etcds_error_or_changes_the_state_and_raises_the_revision(string name, string? message)
    {
        var s = WithRoot(enable: false);
        Assert.Null(s.UserAdd("u", "h:upw", false));
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Read, "k")));
        Assert.Null(s.UserGrantRole("u", "r"));
        Assert.Null(s.AuthEnable());
        Expect(s, message is null ? null : EtcdErrors.FromMessage(message), Ops[name]);
    }

    [Fact]
    public void Auth_enable_needs_a_root_user_with_the_root_role()
    {
        var s = new AuthStore();
        Assert.Equal(1UL, s.Revision);
        Assert.Equal(EtcdErrors.RootUserNotExist, s.AuthEnable());
        Assert.Null(s.UserAdd("root", "h:pw", false));
        Assert.Equal(EtcdErrors.RootRoleNotExist, s.AuthEnable());
        Assert.False(s.Enabled);
        // etcd lets root be granted before a role named root exists.
        Assert.Null(s.UserGrantRole("root", "root"));
        var revision = s.Revision;
        Assert.Null(s.AuthEnable());
        Assert.True(s.Enabled);
        // As etcd 3.4: enabling keeps the revision; enabling again is a no-op.
        Assert.Equal(revision, s.Revision);
        Assert.Null(s.AuthEnable());
        Assert.Equal(revision, s.Revision);
        Assert.True(s.AuthDisable());
        Assert.Equal(revision + 1, s.Revision);
        Assert.False(s.AuthDisable());
        Assert.Equal(revision + 1, s.Revision);
    }

    [Fact]
    public void While_disabled_root_may_be_deleted_and_lose_its_role_as_in_etcd()
    {
        var s = WithRoot(enable: false);
        Assert.Null(s.RoleAdd("root"));
        Assert.Null(s.UserRevokeRole("root", "root"));
        Assert.Null(s.RoleDelete("root"));
        Assert.Null(s.UserDelete("root"));
        Assert.Empty(s.UserList());
    }

    [Fact]
    public void Granting_a_role_twice_is_a_no_op_that_keeps_the_revision()
    {
        var s = WithRoot(enable: false);
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.UserGrantRole("root", "r"));
        var revision = s.Revision;
        Assert.Null(s.UserGrantRole("root", "r"));
        Assert.Equal(revision, s.Revision);
    }

    [Fact]
    public void Get_and_list_answer_sorted_names_roles_and_permissions()
    {
        var s = WithRoot(enable: false);
        foreach (var u in new[] { "zed", "amy", "bob" }) Assert.Null(s.UserAdd(u, "h:" + u, false));
        foreach (var r in new[] { "writer", "admin", "reader" }) Assert.Null(s.RoleAdd(r));
        Assert.Null(s.UserGrantRole("bob", "writer"));
        Assert.Null(s.UserGrantRole("bob", "admin"));
        Assert.Null(s.RoleGrantPermission("reader", KeyPermission.Of(PermissionType.Read, "m", "n")));
        Assert.Null(s.RoleGrantPermission("reader", KeyPermission.Of(PermissionType.Write, "b")));
        Assert.Null(s.RoleGrantPermission("reader", KeyPermission.Of(PermissionType.Read, "m")));

        Assert.Equal(["amy", "bob", "root", "zed"], s.UserList());
        Assert.Equal(["admin", "reader", "writer"], s.RoleList());
        Assert.Null(s.UserGet("bob", out var roles));
        Assert.Equal(["admin", "writer"], roles);
        Assert.Equal(EtcdErrors.UserNotFound, s.UserGet("nobody", out _));
        Assert.Null(s.RoleGet("reader", out var perms));
        Assert.Equal(
            [KeyPermission.Of(PermissionType.Write, "b"), KeyPermission.Of(PermissionType.Read, "m"), KeyPermission.Of(PermissionType.Read, "m", "n")],
            perms);
        Assert.Equal(EtcdErrors.RoleNotFound, s.RoleGet("nope", out _));
        // root is grantable before it exists, but RoleGet knows only added roles (etcd: "role name not found").
        Assert.Equal(EtcdErrors.RoleNotFound, s.RoleGet("root", out _));
    }

    [Fact]
    public void Deleting_a_role_takes_it_from_every_user()
    {
        var s = WithRoot(enable: false);
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.UserAdd("a", "h:a", false));
        Assert.Null(s.UserAdd("b", "h:b", false));
        Assert.Null(s.UserGrantRole("a", "r"));
        Assert.Null(s.UserGrantRole("b", "r"));
        var revision = s.Revision;
        Assert.Null(s.RoleDelete("r"));
        Assert.Equal(revision + 1, s.Revision);
        Assert.Null(s.UserGet("a", out var ra));
        Assert.Null(s.UserGet("b", out var rb));
        Assert.Empty(ra);
        Assert.Empty(rb);
    }

    [Fact]
    public void Changing_a_password_keeps_roles_and_the_no_password_option()
    {
        var s = WithRoot(enable: false);
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.UserAdd("cn", "", noPassword: true));
        Assert.Null(s.UserGrantRole("cn", "r"));
        Assert.Null(s.UserChangePassword("cn", "h:now"));
        var u = s.FindUser("cn")!;
        Assert.True(u.NoPassword);
        Assert.Equal("h:now", u.PasswordHash);
        Assert.Equal(["r"], u.Roles);
    }
}
