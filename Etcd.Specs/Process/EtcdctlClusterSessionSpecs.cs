using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The etcdctl sessions of <see cref="EtcdctlSessions"/> on three members, three Etcd.Node processes beside three etcd
/// 3.4 processes: watches on a follower see what is written on the leader and the third member, keep-alives through a
/// follower keep the lease, timetolive and list answer on every member, compaction reaches every member's watchers.
/// </summary>
[Collection(ClusterPair.Collection)]
public sealed class EtcdctlClusterSessionSpecs(ClusterPair pair, ITestOutputHelper output)
{
    [Fact]
    public Task Watches_on_a_follower_and_compaction_print_what_etcd_prints() => CompareAsync(EtcdctlSessions.WatchAsync);

    [Fact]
    public Task Lease_commands_through_every_member_print_what_etcd_prints() => CompareAsync(EtcdctlSessions.LeaseAsync);

    [Fact]
    public Task Lease_keep_alive_through_a_follower_prints_what_etcd_prints() => CompareAsync(EtcdctlSessions.KeepAliveAsync);

    private async Task CompareAsync(Func<ClientRoles, Task<List<(string, string)>>> session)
    {
        var expected = session(await ClientRoles.OfAsync(pair.Etcd));
        var actual = session(await ClientRoles.OfAsync(pair.Ours));
        await Task.WhenAll(expected, actual);
        EtcdctlSessions.AssertSame(await expected, await actual, output);
    }
}
