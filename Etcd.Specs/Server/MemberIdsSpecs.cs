using Etcd.Actors.Cluster;
using Xunit;

namespace Etcd.Specs.Server;

public sealed class MemberIdsSpecs
{
    [Fact]
    public void Default_member_and_cluster_ids_are_etcds()
    {
        // etcd 3.4 with no flags reports member 8e9e05c52164694d in cluster cdf818194e3a8c32.
        var member = MemberIds.MemberId(["http://localhost:2380"], "etcd-cluster");
        Assert.Equal(0x8e9e05c52164694dUL, member);
        Assert.Equal(0xcdf818194e3a8c32UL, MemberIds.ClusterId([member]));
    }

    [Fact]
    public void Peer_url_order_does_not_matter_but_the_token_does()
    {
        var a = MemberIds.MemberId(["http://10.0.0.1:2380", "http://10.0.0.2:2380"], "t");
        var b = MemberIds.MemberId(["http://10.0.0.2:2380", "http://10.0.0.1:2380"], "t");
        Assert.Equal(a, b);
        Assert.NotEqual(a, MemberIds.MemberId(["http://10.0.0.1:2380", "http://10.0.0.2:2380"], "other"));
        Assert.Equal(MemberIds.ClusterId([1, 2, 3]), MemberIds.ClusterId([3, 1, 2]));
    }
}
