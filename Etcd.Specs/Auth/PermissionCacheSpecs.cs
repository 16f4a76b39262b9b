using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// The per-user answer cache of AuthStore.Checks.cs (a user's READ and WRITE checks, root's "everything"), on the put
/// path of every client request with auth on: a cached check allocates nothing, and every change to the auth state
/// (the auth revision) drops it, so a revoked permission, a revoked root role, a deleted user or a changed password
/// takes effect at the next check, at the new revision; a request checked at the older revision is refused.
/// </summary>
public sealed class PermissionCacheSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static AuthStore Store()
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", "h:root", false));
        Assert.Null(s.UserGrantRole("root", "root"));
        Assert.Null(s.UserAdd("u", "h:u", false));
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.ReadWrite, "bench/", "bench0")));
        Assert.Null(s.UserGrantRole("u", "r"));
        Assert.Null(s.AuthEnable());
        return s;
    }

    [Fact]
    public void A_cached_put_or_one_key_read_check_allocates_nothing()
    {
        var s = Store();
        var key = B("bench/000001");
        var outside = B("other");
        var revision = s.Revision;
        // The first checks fill the cache (and JIT the path).
        Assert.Null(s.IsPutPermitted("u", revision, key));
        Assert.Null(s.IsRangePermitted("u", revision, key, ByteString.Empty));
        Assert.Null(s.IsPutPermitted("root", revision, outside));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.Null(s.IsPutPermitted("u", revision, key));
            Assert.Null(s.IsRangePermitted("u", revision, key, ByteString.Empty));
            Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", revision, outside));
            Assert.Null(s.IsPutPermitted("root", revision, outside));
        }
        // Before the cache, each put check made the key's successor (two arrays) and walked the users and root's roles.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_revoked_permission_takes_effect_at_once()
    {
        var s = Store();
        var old = s.Revision;
        Assert.Null(s.IsPutPermitted("u", old, B("bench/a")));
        Assert.Null(s.RoleRevokePermission("r", B("bench/"), B("bench0")));
        Assert.True(s.Revision > old);
        Assert.Same(EtcdErrors.AuthOldRevision, s.IsPutPermitted("u", old, B("bench/a")));
        Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("bench/a")));
        Assert.Same(EtcdErrors.PermissionDenied, s.IsRangePermitted("u", s.Revision, B("bench/a"), ByteString.Empty));
    }

    [Fact]
    public void A_revoked_root_role_takes_effect_at_once()
    {
        var s = Store();
        Assert.Null(s.UserGrantRole("u", "root"));
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("anywhere")));
        var old = s.Revision;
        Assert.Null(s.UserRevokeRole("u", "root"));
        Assert.Same(EtcdErrors.AuthOldRevision, s.IsPutPermitted("u", old, B("anywhere")));
        Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("anywhere")));
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("bench/a")));
    }

    [Fact]
    public void A_deleted_user_or_changed_password_takes_effect_at_once()
    {
        var s = Store();
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("bench/a")));
        var old = s.Revision;
        Assert.Null(s.UserChangePassword("u", "h:new"));
        Assert.Same(EtcdErrors.AuthOldRevision, s.IsPutPermitted("u", old, B("bench/a")));
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("bench/a")));
        old = s.Revision;
        Assert.Null(s.UserDelete("u"));
        Assert.Same(EtcdErrors.AuthOldRevision, s.IsPutPermitted("u", old, B("bench/a")));
        Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("bench/a")));
        // Added again under the same name: no permission until a role is granted, whatever was cached for the old one.
        Assert.Null(s.UserAdd("u", "h:u", false));
        Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("bench/a")));
        Assert.Null(s.UserGrantRole("u", "r"));
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("bench/a")));
    }

    [Fact]
    public void A_name_that_is_not_a_user_is_refused_and_not_cached()
    {
        var s = Store();
        for (var i = 0; i < 100; i++)
            Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted($"cn-{i}", s.Revision, B("bench/a")));
        Assert.Equal(0, s.CachedUsers);
        // The user appears later: its permissions count from then on.
        Assert.Null(s.UserAdd("cn-1", "h", false));
        Assert.Null(s.UserGrantRole("cn-1", "r"));
        Assert.Null(s.IsPutPermitted("cn-1", s.Revision, B("bench/a")));
        Assert.Equal(1, s.CachedUsers);
    }

    [Fact]
    public void Auth_disabled_and_enabled_again_checks_afresh()
    {
        var s = Store();
        Assert.Same(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("other")));
        Assert.True(s.AuthDisable());
        Assert.Null(s.IsPutPermitted("u", 0, B("other")));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "other")));
        Assert.Null(s.AuthEnable());
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("other")));
    }
}
