using System.Net;
using Etcd.Actors.Peer;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Xunit;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// A running member tells its peer transport the member table's addresses (EtcdNode seeds them, MvccStoreActor
/// publishes every change): those connections pass the global inbound bounds (Peer/Transport/PeerInboundLimits.cs).
/// </summary>
public sealed class PeerMemberAddressesSpecs
{
    [Fact]
    public async Task The_member_tables_peer_addresses_reach_the_transport_as_members_are_added_and_removed()
    {
        await using var cluster = await TestCluster.StartAsync(1, s => s with { Raft = s.Raft with { StrictReconfigCheck = false } });
        var addresses = cluster[0].System.Settings.Setup.Get<PeerMembersSetup>().Value.Addresses;
        Assert.True(addresses.Contains(IPAddress.Loopback));
        var stranger = IPAddress.Parse("127.0.0.9");
        Assert.False(addresses.Contains(stranger));

        // A learner that never starts: the table names it all the same.
        var added = await cluster[0].Server.MemberAddAsync(new MemberAddRequest { PeerURLs = { $"http://127.0.0.9:{FreePort.Next()}" }, IsLearner = true });
        await WaitUntilAsync(() => Task.FromResult(addresses.Contains(stranger)), "the added member's address did not reach the transport");
        await cluster[0].Server.MemberRemoveAsync(new MemberRemoveRequest { ID = added.Member.ID });
        await WaitUntilAsync(() => Task.FromResult(!addresses.Contains(stranger)), "the removed member's address stayed with the transport");
        Assert.True(addresses.Contains(IPAddress.Loopback));
    }
}
