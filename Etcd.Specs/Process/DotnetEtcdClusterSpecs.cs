using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// dotnet-etcd's Watch and Lease APIs (<see cref="DotnetEtcdScenarios"/>) on three members: watches and keep-alives
/// through a follower, writes and revocations through the leader and the third member; on three etcd 3.4 processes
/// (so the assertions are etcd's behaviour) and on three Etcd.Node processes.
/// </summary>
[Collection(ClusterPair.Collection)]
public sealed class DotnetEtcdClusterSpecs(ClusterPair pair)
{
    public static TheoryData<string> Systems => new() { "etcd", "ours" };

    private Task<ClientRoles> On(string system) => ClientRoles.OfAsync(system == "etcd" ? pair.Etcd : pair.Ours);

    [Theory]
    [MemberData(nameof(Systems))]
    public async Task Watch_on_a_follower_sees_every_write_in_order_replays_history_and_is_canceled_below_a_compaction(string system) =>
        await DotnetEtcdScenarios.WatchAsync(await On(system));

    [Theory]
    [MemberData(nameof(Systems))]
    public async Task Lease_through_every_member_grant_put_time_to_live_keep_alive_errors_and_revoke(string system) =>
        await DotnetEtcdScenarios.LeaseAsync(await On(system));

    [Theory]
    [MemberData(nameof(Systems))]
    public async Task Keep_alive_through_a_follower_keeps_a_lease_and_an_abandoned_one_expires(string system) =>
        await DotnetEtcdScenarios.KeepAliveAsync(await On(system));
}
