using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// etcdctl's user, role and auth commands, and KV, compaction, membership and maintenance calls under auth, side by
/// side with etcd 3.4 (one member each): every step must print what etcd prints (exit code, output, error line), from
/// `auth enable` without a root user to a limited user denied with etcd's exact message and a wrong password refused.
/// </summary>
public sealed class AuthConformanceSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private const string Root = "--user=root:rootpw";
    private const string Alice = "--user=alice:apw";

    private static (string?, string[]) Ctl(params string[] args) => (null, args);

    private static (string?, string[]) CtlIn(string stdin, params string[] args) => (stdin, args);

    [Fact]
    public Task Users_roles_auth_enable_and_enforcement_print_what_etcd_prints() => fixture.Nodes.AssertSameOutputAsync(
    [
        // Before any user: auth cannot be enabled; etcdctl adds the root role itself once root exists.
        Ctl("auth", "enable"),
        Ctl("user", "add", "root", "--new-user-password=rootpw", "--interactive=false"),
        Ctl("auth", "enable"),
        // Now a token is needed.
        Ctl("role", "list"),
        Ctl("put", "x", "1"),
        Ctl("get", "x"),
        Ctl(Root, "put", "x", "1"),
        Ctl(Root, "user", "get", "root"),
        Ctl(Root, "role", "get", "root"),
        Ctl(Root, "user", "add", "alice", "--new-user-password=apw", "--interactive=false"),
        Ctl(Root, "user", "add", "alice", "--new-user-password=apw", "--interactive=false"),
        Ctl(Root, "user", "add", "nop", "--no-password"),
        Ctl(Root, "role", "add", "r1"),
        Ctl(Root, "role", "add", "r1"),
        Ctl(Root, "role", "grant-permission", "r1", "readwrite", "/a/", "--prefix"),
        Ctl(Root, "role", "grant-permission", "r1", "read", "/b", "--from-key"),
        Ctl(Root, "role", "grant-permission", "r1", "write", "k1"),
        Ctl(Root, "role", "grant-permission", "nosuch", "read", "k1"),
        Ctl(Root, "role", "get", "r1"),
        Ctl(Root, "user", "grant-role", "alice", "r1"),
        Ctl(Root, "user", "grant-role", "alice", "nosuch"),
        Ctl(Root, "user", "grant-role", "nosuch", "r1"),
        Ctl(Root, "user", "get", "alice"),
        Ctl(Root, "user", "get", "nosuch"),
        Ctl(Root, "user", "list"),
        Ctl(Root, "role", "list"),
        // alice: what r1 allows, and etcd's message for the rest.
        Ctl(Alice, "put", "x", "2"),
        Ctl(Alice, "put", "/a/1", "2"),
        Ctl(Alice, "put", "k1", "2"),
        Ctl(Alice, "get", "k1"),
        Ctl(Alice, "get", "/a/1"),
        Ctl(Alice, "get", "/a/", "--prefix"),
        Ctl(Alice, "get", "/b", "--from-key", "--keys-only"),
        Ctl(Alice, "get", "x"),
        Ctl(Alice, "get", "", "--prefix"),
        Ctl(Alice, "del", "x"),
        Ctl(Alice, "del", "/a/1"),
        CtlIn("\nput /a/2 v\n\n\n", Alice, "txn", "--interactive=false"),
        CtlIn("value(\"x\") = \"1\"\n\nput /a/2 v\n\n\n", Alice, "txn", "--interactive=false"),
        CtlIn("\nput /a/3 v\n\nput x v\n\n", Alice, "txn", "--interactive=false"),
        CtlIn("\nget /a/3\n\n\n", Alice, "txn", "--interactive=false"),
        CtlIn("\nget x\n\n\n", Alice, "txn", "--interactive=false"),
        // (compaction is root's since etcd 3.4.42, which the etcd 3.4.23 here predates: AuthAdvisorySpecs)
        Ctl(Alice, "user", "list"),
        Ctl(Alice, "user", "get", "alice"),
        Ctl(Alice, "user", "get", "root"),
        Ctl(Alice, "role", "get", "r1"),
        Ctl(Alice, "role", "get", "root"),
        Ctl(Alice, "role", "add", "r9"),
        Ctl(Alice, "auth", "disable"),
        Ctl(Alice, "alarm", "list"),
        Ctl(Alice, "endpoint", "hashkv"),
        Ctl("endpoint", "hashkv"),
        Ctl(Alice, "member", "add", "m2", "--peer-urls=http://127.0.0.1:1"),
        Ctl("member", "add", "m2", "--peer-urls=http://127.0.0.1:1"),
        // Wrong passwords and unknown users, and a no-password user given a password.
        Ctl("--user=root:bad", "get", "x"),
        Ctl("--user=nobody:bad", "get", "x"),
        // Revoking: roles, permissions, then users and roles themselves; root and its role stay while enabled.
        Ctl(Root, "user", "revoke-role", "alice", "nosuch"),
        Ctl(Root, "role", "revoke-permission", "r1", "/zz"),
        Ctl(Root, "role", "revoke-permission", "r1", "/a/", "--prefix"),
        Ctl(Alice, "put", "/a/1", "3"),
        Ctl(Root, "role", "revoke-permission", "r1", "/b", "--from-key"),
        Ctl(Root, "role", "get", "r1"),
        Ctl(Root, "user", "revoke-role", "alice", "r1"),
        Ctl(Alice, "get", "k1"),
        CtlIn("newpw", Root, "user", "passwd", "alice", "--interactive=false"),
        Ctl(Alice, "get", "x"),
        Ctl("--user=alice:newpw", "user", "get", "alice"),
        Ctl(Root, "role", "delete", "r1"),
        Ctl(Root, "role", "delete", "r1"),
        Ctl(Root, "user", "delete", "alice"),
        Ctl(Root, "user", "delete", "alice"),
        Ctl(Root, "user", "delete", "root"),
        Ctl(Root, "role", "delete", "root"),
        Ctl(Root, "user", "revoke-role", "root", "root"),
        Ctl(Root, "user", "list"),
        // Off again: anyone writes, tokens are refused as etcd refuses them (etcdctl falls back to no auth).
        Ctl(Root, "auth", "disable"),
        Ctl("auth", "disable"),
        Ctl("user", "list"),
        Ctl("put", "x", "3"),
        Ctl("get", "x", "--print-value-only"),
    ], output);
}
