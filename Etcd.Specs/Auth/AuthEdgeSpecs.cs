using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Authpb;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// A whole member (real journal and backend) with auth on: what the edge refuses before doing any costly work.
/// bcrypt's cost is set to its maximum (31, days per hash), so a spec that would make the member hash never ends.
/// </summary>
public sealed class AuthEdgeSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDir _dir = new("auth-edge");
    private EtcdNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await SingleMember.StartAsync(SingleMember.Settings(_dir) with { BcryptCost = 31 });
        var s = _node.Server;
        // A root without a password (no hash), holding the root role: enough to turn auth on.
        await s.UserAddAsync(new AuthUserAddRequest { Name = "root", Options = new UserAddOptions { NoPassword = true } }).WaitAsync(Wait);
        await s.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" }).WaitAsync(Wait);
        await s.AuthEnableAsync(new AuthEnableRequest()).WaitAsync(Wait);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_anonymous_caller_cannot_make_the_member_hash_a_password()
    {
        // Each call runs on a pool thread: the hash is synchronous, so a member that hashed would hold the caller's
        // thread, and the wait below times out instead.
        var s = _node.Server;
        var add = await Assert.ThrowsAsync<EtcdException>(() =>
            Task.Run(() => s.UserAddAsync(new AuthUserAddRequest { Name = "mallory", Password = "pw" })).WaitAsync(Wait));
        Assert.Same(EtcdErrors.UserEmpty, add.Error);
        var change = await Assert.ThrowsAsync<EtcdException>(() =>
            Task.Run(() => s.UserChangePasswordAsync(new AuthUserChangePasswordRequest { Name = "root", Password = "pw" })).WaitAsync(Wait));
        Assert.Same(EtcdErrors.UserEmpty, change.Error);
        var forged = await Assert.ThrowsAsync<EtcdException>(() =>
            Task.Run(() => s.UserAddAsync(new AuthUserAddRequest { Name = "mallory", Password = "pw" }, token: "abcdefghijklmnop.3")).WaitAsync(Wait));
        Assert.Same(EtcdErrors.InvalidAuthToken, forged.Error);
    }
}
