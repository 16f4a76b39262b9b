using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer.Transport;
using Xunit;

namespace Etcd.Specs.Transport;

/// <summary>
/// The peer transport's budget warnings as an operator reads them (the maintainers' review of issue 10's fix): a
/// partial-frame-budget below one maximum-frame-size buffer is warned at start, and a stranger's connection closed
/// for the budget is named in its warning.
/// </summary>
public sealed class PeerTransportWarningSpecs() : TestKit("akka.loglevel = WARNING")
{
    private static Config Section(string budget) => PeerTransportMemberSpecs.BareSection(budget);

    [Fact]
    public async Task A_budget_below_one_largest_frame_buffer_is_warned_at_start()
    {
        // 4 MiB + the prefix is rented as 8 MiB: a budget of 6 MiB cannot hold one.
        PeerTcpTransport? transport = null;
        EventFilter.Warning(contains: "partial-frame-budget (6291456 bytes) is below the 8388608 byte buffer").ExpectOne(() =>
            transport = new PeerTcpTransport(Sys, Section("6MiB")));
        await transport!.Shutdown();
        // The default budget says nothing.
        EventFilter.Warning(contains: "partial-frame-budget").Expect(0, () => new PeerTcpTransport(Sys, Section("256MiB")));
    }

    [Fact]
    public async Task A_stranger_closed_for_the_budget_is_named_in_the_warning()
    {
        var transport = new PeerTcpTransport(Sys, Section("1MiB"));
        var (address, listener) = await transport.Listen();
        listener.SetResult(new PeerTransportMemberSpecs.TakeAll(new PeerTransportMemberSpecs.Frames()));
        try
        {
            using var stranger = await PeerTransportMemberSpecs.ConnectFromAsync("127.0.0.6", address.Port!.Value);
            var port = ((System.Net.IPEndPoint)stranger.LocalEndPoint!).Port;
            // 1.5 MiB of a 3 MiB frame: its buffer would grow to 2 MiB, over the 1 MiB budget. The warning names the
            // remote by address and port, so the operator can find it.
            await EventFilter.Warning(contains: $"closed the connection from tcp://{Sys.Name}@127.0.0.6:{port}: a partial frame needs")
                .ExpectOneAsync(async () =>
                {
                    await PeerTcpTransportSpecs.SendToClosingAsync(stranger, PeerTransportMemberSpecs.Frame(3 * 1024 * 1024, 3 * 512 * 1024));
                    await PeerTcpTransportSpecs.AssertClosedAsync(stranger);
                });
        }
        finally
        {
            await transport.Shutdown();
        }
    }
}
