using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Auth;

/// <summary>
/// IsRangePermitted / IsPutPermitted / IsDeleteRangePermitted (etcd's isOpPermitted and range_perm_cache.go): a table
/// of etcd's cases, then seeded random role/permission histories checked against a naive checker that looks at every
/// key of a small key space one by one.
/// </summary>
public sealed class PermissionCheckSpecs(ITestOutputHelper output)
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static AuthStore Store(params KeyPermission[] permissions)
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", "h:root", false));
        Assert.Null(s.UserGrantRole("root", "root"));
        Assert.Null(s.UserAdd("u", "h:u", false));
        Assert.Null(s.RoleAdd("r"));
        foreach (var p in permissions) Assert.Null(s.RoleGrantPermission("r", p));
        Assert.Null(s.UserGrantRole("u", "r"));
        Assert.Null(s.AuthEnable());
        return s;
    }

    public static TheoryData<string, string, string, string, string, bool> Cases => new()
    {
        // permission (type key end), check (read|write key end), allowed
        { "READ", "foo", "", "read", "foo", true },
        { "READ", "foo", "", "read", "fo", false },
        { "READ", "foo", "", "read", "foo0", false },
        { "READ", "foo", "", "write", "foo", false },
        { "WRITE", "foo", "", "write", "foo", true },
        { "WRITE", "foo", "", "read", "foo", false },
        { "READWRITE", "foo", "", "read", "foo", true },
        { "READWRITE", "foo", "", "write", "foo", true },
        // a point permission covers the one-key range [foo, foo\0), nothing wider
        { "READ", "foo", "", "read", "foo|foo\0", true },
        { "READ", "foo", "", "read", "foo|foo\0\0", false },
        // prefix: [foo, fop)
        { "READ", "foo", "fop", "read", "foo", true },
        { "READ", "foo", "fop", "read", "foozzz", true },
        { "READ", "foo", "fop", "read", "fop", false },
        { "READ", "foo", "fop", "read", "foo|fop", true },
        { "READ", "foo", "fop", "read", "foo|fopa", false },
        { "READ", "foo", "fop", "read", "fo|fop", false },
        { "READ", "foo", "fop", "read", "foo|\0", false },
        // from-key: range_end "\0"
        { "READ", "foo", "\0", "read", "zzzz", true },
        { "READ", "foo", "\0", "read", "foo|\0", true },
        { "READ", "foo", "\0", "read", "fon|\0", false },
        // every key: key "\0", range_end "\0"
        { "READ", "\0", "\0", "read", "\0|\0", true },
        { "READ", "\0", "\0", "read", "a", true },
        // a range whose end is at or below its key (Range answers it empty) needs its first key
        { "READ", "foo", "fop", "read", "foo|a", true },
        { "READ", "foo", "fop", "read", "fz|a", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_permission_allows_exactly_its_keys(string type, string key, string end, string op, string check, bool allowed)
    {
        var s = Store(KeyPermission.Of(Enum.Parse<PermissionType>(type, ignoreCase: true), key, end));
        var parts = check.Split('|');
        var (k, e) = (B(parts[0]), parts.Length > 1 ? B(parts[1]) : ByteString.Empty);
        var result = op == "read" ? s.IsRangePermitted("u", s.Revision, k, e)
            : e.IsEmpty ? s.IsPutPermitted("u", s.Revision, k) : s.IsDeleteRangePermitted("u", s.Revision, k, e);
        Assert.Equal(allowed ? null : EtcdErrors.PermissionDenied, result);
    }

    [Fact]
    public void Intervals_of_several_roles_join_into_one_covered_range()
    {
        var s = Store(KeyPermission.Of(PermissionType.Read, "a", "c"));
        Assert.Null(s.RoleAdd("r2"));
        Assert.Null(s.RoleGrantPermission("r2", KeyPermission.Of(PermissionType.ReadWrite, "c", "e")));
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsRangePermitted("u", s.Revision, B("a"), B("e")));
        Assert.Null(s.UserGrantRole("u", "r2"));
        Assert.Null(s.IsRangePermitted("u", s.Revision, B("a"), B("e")));
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsDeleteRangePermitted("u", s.Revision, B("a"), B("e")));
        Assert.Null(s.IsDeleteRangePermitted("u", s.Revision, B("c"), B("e")));
    }

    [Fact]
    public void Root_disabled_unknown_users_and_old_revisions()
    {
        var s = Store();
        Assert.Null(s.IsPutPermitted("root", s.Revision, B("anything")));
        Assert.Null(s.IsRangePermitted("root", s.Revision, B("\0"), B("\0")));
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsPutPermitted("u", s.Revision, B("k")));
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsPutPermitted("ghost", s.Revision, B("k")));
        Assert.Equal(EtcdErrors.UserEmpty, s.IsPutPermitted("u", 0, B("k")));
        Assert.Equal(EtcdErrors.UserEmpty, s.IsPutPermitted("", s.Revision, B("k")));
        // A token issued before a change carries the older revision: refused until the client re-authenticates.
        var old = s.Revision;
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.Write, "k")));
        Assert.Equal(EtcdErrors.AuthOldRevision, s.IsPutPermitted("u", old, B("k")));
        Assert.Null(s.IsPutPermitted("u", s.Revision, B("k")));
        // Admin: root only.
        Assert.Null(s.IsAdminPermitted("root"));
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsAdminPermitted("u"));
        Assert.Equal(EtcdErrors.UserNotFound, s.IsAdminPermitted("ghost"));
        Assert.Equal(EtcdErrors.UserEmpty, s.IsAdminPermitted(""));
        // Disabled: everything, for everyone.
        Assert.True(s.AuthDisable());
        Assert.Null(s.IsPutPermitted("ghost", 0, B("k")));
        Assert.Null(s.IsAdminPermitted(""));
    }

    [Fact]
    public void Every_change_drops_the_cache()
    {
        var s = Store(KeyPermission.Of(PermissionType.Read, "k"));
        Assert.Null(s.IsRangePermitted("u", s.Revision, B("k"), ByteString.Empty));
        Assert.Equal(1, s.CachedUsers);
        Assert.Null(s.RoleRevokePermission("r", B("k"), ByteString.Empty));
        Assert.Equal(0, s.CachedUsers);
        Assert.Equal(EtcdErrors.PermissionDenied, s.IsRangePermitted("u", s.Revision, B("k"), ByteString.Empty));
    }

    // ---- randomised: the cache against a key-by-key checker ----

    // Keys of length <= 3 over {\0, a, b}; the naive checker looks at every key of length <= 4. Every boundary the
    // generator makes (a key, a range end, key + "\0") is a key of that space, so a gap in coverage, which starts at
    // one of those boundaries, always contains a key the naive checker looks at: over this space it is exact.
    private static readonly char[] Alphabet = ['\0', 'a', 'b'];
    private static readonly List<string> Universe = Enumerable.Range(1, 4).SelectMany(Words).ToList();

    private static IEnumerable<string> Words(int length) =>
        length == 0 ? [""] : Words(length - 1).SelectMany(w => Alphabet.Select(c => w + c));

    private static int Cmp(string a, string b) => KeyBytes.Compare(B(a), B(b));

    private static string RandomKey(Random rng) => new(Enumerable.Range(0, rng.Next(1, 4)).Select(_ => Alphabet[rng.Next(3)]).ToArray());

    private static bool InRange(string k, string key, string end) =>
        end.Length == 0 ? k == key
        : end == "\0" ? Cmp(k, key) >= 0
        : Cmp(k, key) >= 0 && Cmp(k, end) < 0;

    [Fact]
    public void Random_histories_agree_with_a_key_by_key_checker()
    {
        var seed = Environment.GetEnvironmentVariable("AUTH_PERM_SEED") is { } fixedSeed ? int.Parse(fixedSeed) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (AUTH_PERM_SEED={seed} replays)");
        var rng = new Random(seed);
        var checks = 0;
        for (var run = 0; run < 20; run++)
        {
            var s = new AuthStore();
            Assert.Null(s.UserAdd("root", "h:r", false));
            Assert.Null(s.UserGrantRole("root", "root"));
            Assert.Null(s.AuthEnable());
            var roles = new[] { "r0", "r1", "r2" };
            var users = new[] { "u0", "u1" };
            foreach (var r in roles) Assert.Null(s.RoleAdd(r));
            foreach (var u in users) Assert.Null(s.UserAdd(u, "h:" + u, false));
            for (var step = 0; step < 60; step++)
            {
                Mutate(s, rng, roles, users);
                for (var q = 0; q < 10; q++)
                {
                    var user = users[rng.Next(users.Length)];
                    var key = RandomKey(rng);
                    var end = rng.Next(4) switch { 0 => "", 1 => "\0", _ => RandomKey(rng) };
                    if (end.Length > 0 && end != "\0" && Cmp(end, key) <= 0) end = "";
                    var type = rng.Next(2) == 0 ? PermissionType.Read : PermissionType.Write;
                    var expected = Naive(s, user, key, end, type);
                    var actual = type == PermissionType.Read
                        ? s.IsRangePermitted(user, s.Revision, B(key), B(end))
                        : s.IsDeleteRangePermitted(user, s.Revision, B(key), B(end));
                    Assert.True(expected == (actual is null),
                        $"seed {seed} run {run} step {step}: {user} {type} [{Show(key)}, {Show(end)}) naive={expected} store={actual}");
                    checks++;
                }
            }
        }
        output.WriteLine($"{checks} checks agreed");
    }

    private static void Mutate(AuthStore s, Random rng, string[] roles, string[] users)
    {
        var role = roles[rng.Next(roles.Length)];
        var user = users[rng.Next(users.Length)];
        switch (rng.Next(10))
        {
            case < 5:
                var key = RandomKey(rng);
                var end = rng.Next(3) switch { 0 => "", 1 => "\0", _ => RandomKey(rng) };
                var type = (PermissionType)rng.Next(3);
                s.RoleGrantPermission(role, KeyPermission.Of(type, key, end)); // invalid ranges are refused: fine
                break;
            case 5:
                s.RoleGet(role, out var perms);
                if (perms.Count > 0)
                {
                    var p = perms[rng.Next(perms.Count)];
                    Assert.Null(s.RoleRevokePermission(role, p.Key, p.RangeEnd));
                }
                break;
            case 6 or 7:
                s.UserGrantRole(user, role);
                break;
            case 8:
                s.UserRevokeRole(user, role);
                break;
            default:
                // Delete and re-add a role: users lose it, and it comes back empty.
                Assert.Null(s.RoleDelete(role));
                Assert.Null(s.RoleAdd(role));
                break;
        }
    }

    private static bool Naive(AuthStore s, string user, string key, string end, PermissionType wanted)
    {
        Assert.Null(s.UserGet(user, out var roles));
        var perms = roles.SelectMany(r => s.RoleGet(r, out var p) is null ? p : []).Where(p => p.Allows(wanted))
            .Select(p => (Key: p.Key.ToStringUtf8(), End: p.RangeEnd.ToStringUtf8())).ToList();
        return Universe.Where(k => InRange(k, key, end)).All(k => perms.Any(p => InRange(k, p.Key, p.End)));
    }

    private static string Show(string s) => s.Replace("\0", "\\0");
}
