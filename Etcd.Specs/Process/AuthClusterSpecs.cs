using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Auth on three members: users, roles and the enabled flag made through one member hold on every member, a token made
/// through any member works there, and a revoked permission, once acknowledged, is refused through every member at once
/// (writes are checked in log order at apply, reads at the applied state after ReadIndex).
/// </summary>
public sealed class AuthClusterSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_permission_change_made_through_one_member_holds_on_every_member_at_once()
    {
        using var dir = new TempDir("etcd-auth-cluster");
        await using var cluster = ProcessCluster.Create(dir);
        await cluster.StartAsync();
        async Task<Etcdctl.Result> Ctl(int member, params string[] args)
        {
            var r = await Etcdctl.RunAsync(cluster[member].Endpoint, args);
            output.WriteLine($"member {member}: etcdctl {string.Join(' ', args)} -> {r.ExitCode} {r.Stdout.Trim()} {r.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("Error:", StringComparison.Ordinal))}");
            return r;
        }
        (await Ctl(0, "user", "add", "root", "--new-user-password=rootpw", "--interactive=false")).EnsureSuccess();
        (await Ctl(1, "user", "add", "alice", "--new-user-password=apw", "--interactive=false")).EnsureSuccess();
        (await Ctl(2, "role", "add", "r1")).EnsureSuccess();
        (await Ctl(0, "role", "grant-permission", "r1", "readwrite", "/a/", "--prefix")).EnsureSuccess();
        (await Ctl(1, "user", "grant-role", "alice", "r1")).EnsureSuccess();
        (await Ctl(2, "auth", "enable")).EnsureSuccess();

        for (var m = 0; m < 3; m++)
        {
            (await Ctl(m, "--user=alice:apw", "put", $"/a/{m}", "v")).EnsureSuccess();
            Assert.Contains("Error: etcdserver: user name is empty", (await Ctl(m, "get", "/a/0")).Stderr);
            Assert.Contains("Error: etcdserver: permission denied", (await Ctl(m, "--user=alice:apw", "put", "x", "v")).Stderr);
        }

        // A token made through member 0 works at once through the others (they wait until they applied its entry).
        using (var channel0 = Grpc.Net.Client.GrpcChannel.ForAddress(cluster[0].Endpoint))
        {
            var token = (await new Etcd.Api.Etcdserverpb.Auth.AuthClient(channel0)
                .AuthenticateAsync(new Etcd.Api.Etcdserverpb.AuthenticateRequest { Name = "alice", Password = "apw" })).Token;
            var metadata = new Grpc.Core.Metadata { { "token", token } };
            for (var m = 1; m < 3; m++)
            {
                var read = await cluster.Kv(m).RangeAsync(new Etcd.Api.Etcdserverpb.RangeRequest
                {
                    Key = Google.Protobuf.ByteString.CopyFromUtf8("/a/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("/a0"),
                }, metadata);
                Assert.Equal(3, read.Count);
            }
        }

        // Revoked through member 2; acknowledged: alice is refused through every member on her next request.
        (await Ctl(2, "--user=root:rootpw", "role", "revoke-permission", "r1", "/a/", "--prefix")).EnsureSuccess();
        for (var m = 0; m < 3; m++)
        {
            Assert.Contains("Error: etcdserver: permission denied", (await Ctl(m, "--user=alice:apw", "put", "/a/1", "w")).Stderr);
            Assert.Contains("Error: etcdserver: permission denied", (await Ctl(m, "--user=alice:apw", "get", "/a/0")).Stderr);
        }
        // A changed password: the old one is refused through every member.
        (await Etcdctl.RunWithStdinAsync(cluster[0].Endpoint, "newpw", "--user=root:rootpw", "user", "passwd", "alice", "--interactive=false")).EnsureSuccess();
        for (var m = 0; m < 3; m++)
            Assert.Contains("Error: etcdserver: authentication failed, invalid user ID or password", (await Ctl(m, "--user=alice:apw", "get", "/a/0")).Stderr);
        Assert.Equal("v", (await Ctl(1, "--user=root:rootpw", "get", "/a/2", "--print-value-only")).EnsureSuccess().Stdout.Trim());
    }
}
