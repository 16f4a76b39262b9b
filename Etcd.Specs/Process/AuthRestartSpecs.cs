using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// The auth state lives in the backend with the keys: after kill -9 and a restart on the same data dir auth is still
/// enabled (no re-enable), users, roles and permissions are there, old passwords still work and tokens must be made again.
/// </summary>
public sealed class AuthRestartSpecs
{
    [Fact]
    public async Task Users_roles_permissions_and_enabled_auth_survive_kill_9()
    {
        using var dir = new TempDir("etcd-auth-restart");
        var node = new NodeProcess(dir.Sub("data"));
        await using var _ = node;
        await node.StartAsync();
        async Task<Etcdctl.Result> Ctl(params string[] args) => await Etcdctl.RunAsync(node.Endpoint, args);
        (await Ctl("user", "add", "root", "--new-user-password=rootpw", "--interactive=false")).EnsureSuccess();
        (await Ctl("user", "add", "alice", "--new-user-password=apw", "--interactive=false")).EnsureSuccess();
        (await Ctl("role", "add", "r1")).EnsureSuccess();
        (await Ctl("role", "grant-permission", "r1", "readwrite", "/a/", "--prefix")).EnsureSuccess();
        (await Ctl("user", "grant-role", "alice", "r1")).EnsureSuccess();
        (await Ctl("auth", "enable")).EnsureSuccess();
        (await Ctl("--user=alice:apw", "put", "/a/1", "before")).EnsureSuccess();

        await node.KillAsync();
        await node.StartAsync();

        var anonymous = await Ctl("put", "/a/1", "anonymous");
        Assert.Equal(1, anonymous.ExitCode);
        Assert.Contains("Error: etcdserver: user name is empty", anonymous.Stderr);
        var denied = await Ctl("--user=alice:apw", "put", "x", "v");
        Assert.Contains("Error: etcdserver: permission denied", denied.Stderr);
        (await Ctl("--user=alice:apw", "put", "/a/1", "after")).EnsureSuccess();
        Assert.Equal("after", (await Ctl("--user=alice:apw", "get", "/a/1", "--print-value-only")).EnsureSuccess().Stdout.Trim());
        Assert.Equal("alice\nroot", (await Ctl("--user=root:rootpw", "user", "list")).EnsureSuccess().Stdout.Trim());
        Assert.Contains("Error: etcdserver: authentication failed, invalid user ID or password", (await Ctl("--user=alice:wrong", "get", "/a/1")).Stderr);
    }
}
