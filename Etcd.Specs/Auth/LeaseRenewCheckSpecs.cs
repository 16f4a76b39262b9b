using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// A whole member (real journal and backend) with auth on: the keep-alive check (etcd 3.4.42's checkLeaseRenew, WRITE
/// on every key of the lease for a user other than root) asks the store actor for the lease's keys only when they or
/// the auth state changed since the last renewal, and still answers exactly as etcd: a key the user may not write
/// attached since is "permission denied", detached again it passes, a permission revoked is refused at once.
/// </summary>
public sealed class LeaseRenewCheckSpecs() : AuthMemberSpecBase("lease-renew-check")
{
    private const long Lease = 0x5151;

    [Fact]
    public async Task Renewing_an_unchanged_lease_asks_the_store_nothing_and_a_changed_one_is_checked_again()
    {
        var s = Node.Server;
        var root = await LoginAsync("root", AuthMember.RootPassword);
        var alice = await LoginAsync("alice", AuthMember.AlicePassword);
        await s.LeaseGrantAsync(new LeaseGrantRequest { ID = Lease, TTL = 600 }, token: root).WaitAsync(Wait);
        for (var i = 0; i < 50; i++)
            await s.PutAsync(new PutRequest { Key = B($"/a/{i:D2}"), Value = B("v"), Lease = Lease }, token: alice).WaitAsync(Wait);

        // Every message the edge sends the store about a lease's keys goes through a counter from now on.
        var refs = s.Refs;
        var store = refs.Mvcc;
        var counted = new int[1];
        refs.SetMvcc(Node.System.ActorOf(Props.Create(() => new CountingForwarder(store, counted))));
        try
        {
            for (var i = 0; i < 20; i++) Assert.True((await Renew(alice)).TTL > 0);
            // The first renewal walks the keys once; the other 19 reuse its answer.
            Assert.InRange(Volatile.Read(ref counted[0]), 0, 1);

            // A key alice may not write, attached by root: her next renewal is refused, as etcd's checkLeaseRenew.
            await s.PutAsync(new PutRequest { Key = B("/b/1"), Value = B("v"), Lease = Lease }, token: root).WaitAsync(Wait);
            Assert.Same(EtcdErrors.PermissionDenied, (await Assert.ThrowsAsync<EtcdException>(() => Renew(alice))).Error);
            Assert.Same(EtcdErrors.PermissionDenied, (await Assert.ThrowsAsync<EtcdException>(() => Renew(alice))).Error);
            Assert.True((await Renew(root)).TTL > 0);

            // Detached again (deleted): she may renew it again.
            await s.DeleteRangeAsync(new DeleteRangeRequest { Key = B("/b/1") }, token: root).WaitAsync(Wait);
            Assert.True((await Renew(alice)).TTL > 0);
            // One of her keys detached by an overwrite without a lease: a new key set, still hers only.
            await s.PutAsync(new PutRequest { Key = B("/a/00"), Value = B("w") }, token: alice).WaitAsync(Wait);
            Assert.True((await Renew(alice)).TTL > 0);

            // Her permission revoked: refused at once, though neither the lease nor its keys changed.
            await s.RoleRevokePermissionAsync(new AuthRoleRevokePermissionRequest { Role = "r1", Key = B("/a/"), RangeEnd = B("/a0") }, token: root)
                .WaitAsync(Wait);
            Assert.Same(EtcdErrors.PermissionDenied, (await Assert.ThrowsAsync<EtcdException>(() => Renew(alice))).Error);
            // An unknown lease still passes and answers TTL 0.
            Assert.Equal(0, (await s.LeaseKeepAliveAsync(0x9999, CancellationToken.None, alice).WaitAsync(Wait)).TTL);
        }
        finally
        {
            refs.SetMvcc(store);
        }

        Task<LeaseKeepAliveResponse> Renew(string token) => s.LeaseKeepAliveAsync(Lease, CancellationToken.None, token).WaitAsync(Wait);
    }

    /// <summary>Forwards everything to the store, counting the questions about a lease's keys (GetLease, GetLeasedKeys, ...).</summary>
    private sealed class CountingForwarder : ReceiveActor
    {
        public CountingForwarder(IActorRef store, int[] counted)
        {
            ReceiveAny(m =>
            {
                var type = m.GetType();
                if (type.DeclaringType == typeof(MvccLeaseProtocol) && type.Name.StartsWith("GetLease", StringComparison.Ordinal)
                    && type.Name != "GetLeaseTable")
                    Interlocked.Increment(ref counted[0]);
                store.Forward(m);
            });
        }
    }
}
