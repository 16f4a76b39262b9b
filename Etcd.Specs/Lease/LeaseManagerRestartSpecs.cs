using Akka.Actor;
using Etcd.Actors.Lease;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Cluster;
using Xunit;

namespace Etcd.Specs.Lease;

/// <summary>
/// A lease manager that fails is restarted by the member's guardian; the store announces the lease table only when it
/// opens its backend, so the new incarnation asks it for the table, and answers nothing from an empty one meanwhile.
/// </summary>
public sealed class LeaseManagerRestartSpecs
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_killed_lease_manager_comes_back_with_its_leases()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var member = await cluster.LeaderAsync();
        var server = cluster[member].Server;
        var granted = await server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });
        Assert.Equal(60, (await server.LeaseKeepAliveAsync(granted.ID)).TTL);

        var manager = await cluster[member].System.ActorSelection("/user/etcd/" + LeaseManagerActor.Name).ResolveOne(Wait);
        // An ActorKilledException: the guardian restarts the actor; what is told after it goes to the new incarnation.
        manager.Tell(Kill.Instance);

        var listed = await server.LeaseLeasesAsync().WaitAsync(Wait);
        Assert.Equal([granted.ID], listed.Leases.Select(l => l.ID));
        Assert.Equal(60, (await server.LeaseKeepAliveAsync(granted.ID).WaitAsync(Wait)).TTL);
        var ttl = await server.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = granted.ID }).WaitAsync(Wait);
        Assert.InRange(ttl.TTL, 1, 60);
    }
}
