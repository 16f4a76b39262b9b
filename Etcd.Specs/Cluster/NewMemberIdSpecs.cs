using Etcd.Actors.Cluster;
using Xunit;

namespace Etcd.Specs.Cluster;

public sealed class NewMemberIdSpecs
{
    [Fact]
    public void Matches_sha1_of_sorted_urls_empty_cluster_name_and_unix_seconds()
    {
        // Expected values computed outside .NET:
        //   printf '%s' "http://10.0.0.4:2380http://10.0.0.5:23801700000000" | sha1sum  → 33bb6e67e96e88a0…
        //   printf '%s' "http://127.0.0.1:223801700000000" | sha1sum                     → 8e07db8206d6a2fa…
        Assert.Equal(0x33bb6e67e96e88a0UL, MemberIds.NewMemberId(["http://10.0.0.5:2380", "http://10.0.0.4:2380"], 1_700_000_000));
        Assert.Equal(0x8e07db8206d6a2faUL, MemberIds.NewMemberId(["http://127.0.0.1:22380"], 1_700_000_000));
    }

    [Fact]
    public void The_time_makes_a_re_added_member_a_new_id()
    {
        string[] urls = ["http://127.0.0.1:22380"];
        Assert.NotEqual(MemberIds.NewMemberId(urls, 1_700_000_000), MemberIds.NewMemberId(urls, 1_700_000_001));
        // …and differs from the bootstrap id of the same URLs (which mixes in the cluster token instead).
        Assert.NotEqual(MemberIds.MemberId(urls, "etcd-cluster"), MemberIds.NewMemberId(urls, 1_700_000_000));
    }
}
