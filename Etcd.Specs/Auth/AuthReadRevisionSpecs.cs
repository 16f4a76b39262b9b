using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// A whole member (real journal and backend) with auth on: a read is checked at the auth revision its token was
/// resolved at, as etcd's doSerialize, so a permission revoked between the resolve and the serve is "revision of auth
/// store is old", linearizable or serializable, and never an answer the token no longer allows.
/// </summary>
public sealed class AuthReadRevisionSpecs() : AuthMemberSpecBase("auth-read-rev")
{

    [Fact]
    public async Task A_permission_revoked_between_the_token_resolve_and_the_serve_is_old_revision()
    {
        var s = Node.Server;
        var root = await LoginAsync("root", AuthMember.RootPassword);
        var alice = await LoginAsync("alice", AuthMember.AlicePassword);
        await s.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("secret") }, token: alice).WaitAsync(Wait);
        var linearizable = new RangeRequest { Key = B("/a/1") };
        var serializable = new RangeRequest { Key = B("/a/1"), Serializable = true };

        var resolved = await s.AuthInfoAsync(alice, CancellationToken.None).AsTask().WaitAsync(Wait);
        Assert.NotNull(resolved);
        Assert.Equal("secret", (await s.ServeRangeAsync(linearizable, resolved, CancellationToken.None).WaitAsync(Wait)).Kvs[0].Value.ToStringUtf8());

        await s.RoleRevokePermissionAsync(new AuthRoleRevokePermissionRequest { Role = "r1", Key = B("/a/"), RangeEnd = B("/a0") }, token: root)
            .WaitAsync(Wait);
        foreach (var range in new[] { linearizable, serializable })
        {
            var stale = await Assert.ThrowsAsync<EtcdException>(() => s.ServeRangeAsync(range, resolved, CancellationToken.None).WaitAsync(Wait));
            Assert.Same(EtcdErrors.AuthOldRevision, stale.Error);
        }
        // The same token resolved again is checked against the permissions as they are now.
        var denied = await Assert.ThrowsAsync<EtcdException>(() => s.RangeAsync(linearizable, token: alice).WaitAsync(Wait));
        Assert.Same(EtcdErrors.PermissionDenied, denied.Error);
    }
}
