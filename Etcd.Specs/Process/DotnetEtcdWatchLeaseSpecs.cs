using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// dotnet-etcd's Watch and Lease APIs (<see cref="DotnetEtcdScenarios"/>) on one member: on etcd 3.4 (so the
/// assertions are etcd's behaviour) and on Etcd.Node.
/// </summary>
public sealed class DotnetEtcdWatchLeaseSpecs(SideBySideFixture fixture) : IClassFixture<SideBySideFixture>
{
    public static TheoryData<string> Systems => new() { "etcd", "ours" };

    private ClientRoles On(string system) => ClientRoles.Single(system == "etcd" ? fixture.Nodes.Etcd : fixture.Nodes.Ours);

    [Theory]
    [MemberData(nameof(Systems))]
    public Task Watch_sees_every_write_in_order_replays_history_and_is_canceled_below_a_compaction(string system) =>
        DotnetEtcdScenarios.WatchAsync(On(system));

    [Theory]
    [MemberData(nameof(Systems))]
    public Task Lease_grant_put_time_to_live_keep_alive_errors_and_revoke(string system) => DotnetEtcdScenarios.LeaseAsync(On(system));

    [Theory]
    [MemberData(nameof(Systems))]
    public Task Keep_alive_keeps_a_lease_and_an_abandoned_one_expires(string system) => DotnetEtcdScenarios.KeepAliveAsync(On(system));
}
