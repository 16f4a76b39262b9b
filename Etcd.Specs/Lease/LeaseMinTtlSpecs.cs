using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Lease;

/// <summary>
/// etcd's minimum lease TTL follows from a member's own tick and election timeout, and etcd raises a short TTL at
/// apply, on each member from its own configuration: members whose timeouts differ would grant one lease different
/// TTLs. Here the member that proposes the grant raises it, so every member applies the same TTL.
/// </summary>
public sealed class LeaseMinTtlSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Every_member_applies_the_minimum_ttl_of_the_member_that_proposed_the_grant()
    {
        // Ticks of 100 ms. m0: 40 election ticks (minimum ceil(60 × 0.1 s) = 6 s); m1 and m2: 80 (12 s). Minimums of
        // several seconds, so that no lease expires before every member has been looked at on a busy machine.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { Raft = s.Raft with { ElectionTick = s.Name == "m0" ? 40 : 80 } });
        Assert.Equal((6L, 12L, 12L), (cluster.Settings(0).MinLeaseTtl, cluster.Settings(1).MinLeaseTtl, cluster.Settings(2).MinLeaseTtl));
        await cluster.LeaderAsync();

        var viaLong = await cluster[1].Server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 });
        var viaShort = await cluster[0].Server.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 });
        output.WriteLine($"granted through m1: TTL {viaLong.TTL}; through m0: TTL {viaShort.TTL}");
        Assert.Equal((12L, 6L), (viaLong.TTL, viaShort.TTL));

        foreach (var i in cluster.Up)
        {
            Assert.Equal(12, await AppliedTtlAsync(cluster[i].System, viaLong.ID));
            Assert.Equal(6, await AppliedTtlAsync(cluster[i].System, viaShort.ID));
        }
    }

    /// <summary>The TTL in the member's applied lease table, once it has applied the grant.</summary>
    private static async Task<long> AppliedTtlAsync(ActorSystem member, long id)
    {
        var store = await member.ActorSelection("/user/etcd/mvcc").ResolveOne(Wait);
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var view = new TaskCompletionSource<MvccLeaseProtocol.LeaseView?>();
            store.Tell(new MvccLeaseProtocol.GetLease(id, view));
            if ((await view.Task.WaitAsync(Wait))?.Lease is { } lease) return lease.Ttl;
            Assert.True(DateTime.UtcNow < deadline, $"lease {id:x} not applied within {Wait}");
            await Task.Delay(50); // polling the member's applied table; bounded by the deadline
        }
    }
}
