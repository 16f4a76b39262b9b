using System.Buffers.Binary;
using Etcd.Actors.Auth.Core;
using Etcd.Api.Authpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// The auth state's rows (etcd's auth / authUsers / authRoles buckets): what is written reads back as the same store,
/// answering the same checks, and damaged rows fail loudly instead of loading as something else.
/// </summary>
public sealed class AuthStateCodecSpecs
{
    private static AuthStore Sample()
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", "$2a$10$abcdefghijklmnopqrstuuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false));
        Assert.Null(s.UserGrantRole("root", "root"));
        Assert.Null(s.UserAdd("cn-user", "", noPassword: true));
        Assert.Null(s.UserAdd("écrivain", "h:x", false));
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Read, "a")));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "b", "c")));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.ReadWrite, "d", "\0")));
        Assert.Null(s.RoleAdd("empty"));
        Assert.Null(s.UserGrantRole("cn-user", "r"));
        Assert.Null(s.UserGrantRole("écrivain", "empty"));
        Assert.Null(s.AuthEnable());
        return s;
    }

    private static void AssertSame(AuthStore expected, AuthStore actual)
    {
        Assert.Equal(expected.Enabled, actual.Enabled);
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(expected.UserList(), actual.UserList());
        Assert.Equal(expected.RoleList(), actual.RoleList());
        foreach (var u in expected.Users)
        {
            var back = actual.FindUser(u.Name)!;
            Assert.Equal(u.PasswordHash, back.PasswordHash);
            Assert.Equal(u.NoPassword, back.NoPassword);
            Assert.Equal(u.Roles, back.Roles);
        }
        foreach (var r in expected.RoleList())
        {
            expected.RoleGet(r, out var p1);
            actual.RoleGet(r, out var p2);
            Assert.Equal(p1, p2);
        }
    }

    [Fact]
    public void A_store_reads_back_from_its_rows()
    {
        var s = Sample();
        var back = AuthStateCodec.FromRows(AuthStateCodec.ToRows(s));
        AssertSame(s, back);
        var rev = back.Revision;
        Assert.Null(back.IsRangePermitted("cn-user", rev, ByteString.CopyFromUtf8("a"), ByteString.Empty));
        Assert.Null(back.IsDeleteRangePermitted("cn-user", rev, ByteString.CopyFromUtf8("d"), ByteString.CopyFromUtf8("\0")));
        Assert.NotNull(back.IsPutPermitted("cn-user", rev, ByteString.CopyFromUtf8("a")));
        // Still refuses what etcd refuses after a restart: root stays while enabled.
        Assert.NotNull(back.UserDelete("root"));
    }

    [Fact]
    public void The_rows_are_etcds_buckets_and_encodings()
    {
        var s = Sample();
        var rows = AuthStateCodec.ToRows(s);
        var enabled = Assert.Single(rows, r => r.Bucket == "auth" && r.Key.ToStringUtf8() == "authEnabled");
        Assert.Equal([1], enabled.Value.ToByteArray());
        var revision = Assert.Single(rows, r => r.Bucket == "auth" && r.Key.ToStringUtf8() == "authRevision");
        Assert.Equal(s.Revision, BinaryPrimitives.ReadUInt64BigEndian(revision.Value.Span));
        var root = User.Parser.ParseFrom(Assert.Single(rows, r => r.Bucket == "authUsers" && r.Key.ToStringUtf8() == "root").Value);
        Assert.Equal(["root"], root.Roles);
        Assert.StartsWith("$2a$10$", root.Password.ToStringUtf8());
        var role = Role.Parser.ParseFrom(Assert.Single(rows, r => r.Bucket == "authRoles" && r.Key.ToStringUtf8() == "r").Value);
        Assert.Equal(3, role.KeyPermission.Count);
        Assert.Equal(Permission.Types.Type.Readwrite, role.KeyPermission[2].PermType);
    }

    [Fact]
    public void No_rows_is_a_fresh_store()
    {
        var s = AuthStateCodec.FromRows([]);
        Assert.False(s.Enabled);
        Assert.Equal(1UL, s.Revision);
        Assert.Empty(s.UserList());
    }

    [Fact]
    public void Random_stores_round_trip()
    {
        var seed = 20261206;
        var rng = new Random(seed);
        for (var run = 0; run < 50; run++)
        {
            var s = new AuthStore();
            for (var i = 0; i < 30; i++)
            {
                var name = "n" + rng.Next(6);
                switch (rng.Next(6))
                {
                    case 0: s.UserAdd(name, "h:" + rng.Next(), rng.Next(4) == 0); break;
                    case 1: s.RoleAdd(name); break;
                    case 2: s.UserGrantRole(name, "n" + rng.Next(6)); break;
                    case 3: s.RoleGrantPermission(name, KeyPermission.Of((PermissionType)rng.Next(3), "k" + rng.Next(9), rng.Next(3) switch { 0 => "", 1 => "\0", _ => "l" })); break;
                    case 4: s.UserDelete(name); break;
                    default: s.RoleDelete(name); break;
                }
            }
            AssertSame(s, AuthStateCodec.FromRows(AuthStateCodec.ToRows(s)));
        }
    }

    [Fact]
    public void Damaged_rows_fail_loudly()
    {
        var rows = AuthStateCodec.ToRows(Sample()).ToList();
        AuthRow Replace(string bucket, string key, ByteString value) => new(bucket, ByteString.CopyFromUtf8(key), value);
        IEnumerable<AuthRow> Without(string bucket, string key) => rows.Where(r => !(r.Bucket == bucket && r.Key.ToStringUtf8() == key));

        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(Without("auth", "authRevision")));
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(Without("auth", "authEnabled").Append(Replace("auth", "authEnabled", ByteString.CopyFrom(2)))));
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(Without("auth", "authRevision").Append(Replace("auth", "authRevision", ByteString.CopyFrom(1, 2)))));
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(rows.Append(Replace("authZ", "x", ByteString.Empty))));
        // A user row under another name, and enabled without root holding the root role.
        var alice = AuthStateCodec.ToProto(new AuthUser("alice", "h:x", AuthUser.NoRoles, false)).ToByteString();
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(rows.Append(Replace("authUsers", "bob", alice))));
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(Without("authUsers", "root")));
        // A permission with an invalid range.
        var bad = new Role { Name = ByteString.CopyFromUtf8("bad") };
        bad.KeyPermission.Add(new Permission { Key = ByteString.CopyFromUtf8("b"), RangeEnd = ByteString.CopyFromUtf8("a") });
        Assert.Throws<InvalidOperationException>(() => AuthStateCodec.FromRows(rows.Append(Replace("authRoles", "bad", bad.ToByteString()))));
    }
}
