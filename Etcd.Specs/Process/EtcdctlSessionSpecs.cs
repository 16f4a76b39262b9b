using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The etcdctl sessions of <see cref="EtcdctlSessions"/> on one member: etcd 3.4 and Etcd.Node must print the same.
/// </summary>
public sealed class EtcdctlSessionSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    [Fact]
    public Task Watch_interactive_watch_and_compaction_print_what_etcd_prints() => CompareAsync(EtcdctlSessions.WatchAsync);

    [Fact]
    public Task Lease_commands_print_what_etcd_prints() => CompareAsync(EtcdctlSessions.LeaseAsync);

    [Fact]
    public Task Lease_keep_alive_prints_what_etcd_prints() => CompareAsync(EtcdctlSessions.KeepAliveAsync);

    private async Task CompareAsync(Func<ClientRoles, Task<List<(string, string)>>> session)
    {
        // The two systems are independent: run both sessions at once.
        var expected = session(ClientRoles.Single(fixture.Nodes.Etcd));
        var actual = session(ClientRoles.Single(fixture.Nodes.Ours));
        await Task.WhenAll(expected, actual);
        EtcdctlSessions.AssertSame(await expected, await actual, output);
    }
}
