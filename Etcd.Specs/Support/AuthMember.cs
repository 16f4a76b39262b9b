using Etcd.Actors.Server;
using Etcd.Api.Authpb;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Specs.Support;

/// <summary>
/// A whole in-process member (real journal and backend) with auth on, as the in-process auth specs share it: root
/// (<c>rootpw</c>) holding the root role, alice (<c>apw</c>) holding role r1 with READWRITE on the prefix <c>/a/</c>,
/// then auth enabled. bcrypt at its minimum cost, so logins are cheap.
/// </summary>
public static class AuthMember
{
    public const string RootPassword = "rootpw";
    public const string AlicePassword = "apw";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public static async Task<EtcdNode> StartWithAliceAsync(TempDir dir)
    {
        var node = await SingleMember.StartAsync(SingleMember.Settings(dir) with { BcryptCost = 4 });
        var s = node.Server;
        await s.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = RootPassword }).WaitAsync(Wait);
        await s.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" }).WaitAsync(Wait);
        await s.UserAddAsync(new AuthUserAddRequest { Name = "alice", Password = AlicePassword }).WaitAsync(Wait);
        await s.RoleAddAsync(new AuthRoleAddRequest { Name = "r1" }).WaitAsync(Wait);
        await s.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = "r1",
            Perm = new Permission { PermType = Permission.Types.Type.Readwrite, Key = ByteString.CopyFromUtf8("/a/"), RangeEnd = ByteString.CopyFromUtf8("/a0") },
        }).WaitAsync(Wait);
        await s.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "alice", Role = "r1" }).WaitAsync(Wait);
        await s.AuthEnableAsync(new AuthEnableRequest()).WaitAsync(Wait);
        return node;
    }
}
