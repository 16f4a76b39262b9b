using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Transport;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer;
using Etcd.Actors.Peer.Transport;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Transport;

/// <summary>
/// Issue 10's review on real sockets: a stranger on a few loopback addresses (Linux routes all of 127/8 to lo) holds
/// the peer port's global bounds full and members (127.0.0.1, in the member addresses the transport was given) still
/// associate; a stranger's partial frames are held to the partial-frame budget, a member's are not.
/// </summary>
public sealed class PeerTransportMemberSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static PeerMemberAddresses LoopbackMember()
    {
        var members = new PeerMemberAddresses();
        members.Publish(["http://127.0.0.1:2380"]);
        return members;
    }

    private static async Task<Socket> ConnectFromAsync(string source, int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await s.ConnectAsync(IPAddress.Loopback, port);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Silent connections from 127.0.0.2 on, <paramref name="perAddress"/> from each of
    /// <paramref name="addresses"/> addresses, then one more from the next address, which the full bound closes on
    /// arrival (connections are accepted in order, so every one before it was judged first).</summary>
    private async Task<List<Socket>> FillAsync(int port, int addresses, int perAddress)
    {
        var held = new List<Socket>();
        for (var ip = 2; ip < 2 + addresses; ip++)
            for (var i = 0; i < perAddress; i++) held.Add(await ConnectFromAsync($"127.0.0.{ip}", port));
        held.Add(await ConnectFromAsync($"127.0.0.{2 + addresses}", port));
        await PeerTcpTransportSpecs.AssertClosedAsync(held[^1]);
        output.WriteLine($"{addresses * perAddress} connections from {addresses} addresses hold the bound; one more was closed");
        return held;
    }

    [Fact]
    public async Task Members_keep_associating_while_a_stranger_on_four_addresses_holds_max_inbound_full()
    {
        // Akka.Remote's handshake would end the silent connections: only the bounds may close them here.
        await using var b = PeerTransportNode.Start("b", extra: """
            akka.remote.handshake-timeout = 120s
            akka.remote.etcd-peer.max-inbound = 16
            akka.remote.etcd-peer.max-inbound-per-ip = 4
            """, members: LoopbackMember());
        var stranger = await FillAsync(b.Port, addresses: 4, perAddress: 4);
        try
        {
            // One member after another, each a new association from 127.0.0.1.
            foreach (var name in new[] { "a", "c" })
            {
                await using var member = PeerTransportNode.Start(name);
                (await member.SinkOf(b).ResolveOne(Within)).Tell($"from {name}");
                Assert.Equal($"from {name}", await b.NextAsync(Within));
            }
        }
        finally
        {
            foreach (var s in stranger) s.Dispose();
        }
    }

    [Fact]
    public async Task With_tls_a_member_associates_while_a_stranger_on_four_addresses_holds_every_handshake_slot()
    {
        using var dir = new TempDir("peer-transport-members");
        var certs = new TestCertificates(dir.Sub("pki"));
        await using var a = PeerTransportNode.Start("a", PeerTcpTransportSpecs.Tls(dir, certs.IssuePeer("a", "a", 5001), certs.CaFile));
        // A long TLS handshake bound, so the stranger's connections hold their slots for the whole spec.
        await using var b = PeerTransportNode.Start("b", PeerTcpTransportSpecs.Tls(dir, certs.IssuePeer("b", "b", 5002), certs.CaFile),
            extra: """
                akka.remote.etcd-peer.connection-timeout = 120s
                akka.remote.etcd-peer.max-pending-inbound = 8
                akka.remote.etcd-peer.max-pending-inbound-per-ip = 2
                """, members: LoopbackMember());
        var stranger = await FillAsync(b.Port, addresses: 4, perAddress: 2);
        try
        {
            (await a.SinkOf(b).ResolveOne(Within)).Tell("member");
            Assert.Equal("member", await b.NextAsync(Within));
        }
        finally
        {
            foreach (var s in stranger) s.Dispose();
        }
    }

    private sealed class Frames : IHandleEventListener
    {
        public readonly Channel<int> Sizes = Channel.CreateUnbounded<int>();

        public void Notify(IHandleEvent ev)
        {
            if (ev is InboundPayload p) Sizes.Writer.TryWrite(p.Payload.Length);
        }
    }

    // Registers every inbound connection's reader at once, as ProtocolStateActor does; nothing above it.
    private sealed class TakeAll(IHandleEventListener reader) : IAssociationEventListener
    {
        public void Notify(IAssociationEvent ev)
        {
            if (ev is InboundAssociation inbound) inbound.Association.ReadHandlerSource.SetResult(reader);
        }
    }

    private static byte[] Frame(int length, int send)
    {
        var bytes = new byte[4 + send];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        return bytes;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Within);
        while (!condition())
        {
            try { await Task.Delay(10, cts.Token); }
            catch (OperationCanceledException) { Assert.Fail($"not within {Within}: {what}"); }
        }
    }

    [Fact]
    public async Task Strangers_partial_frames_are_held_to_the_partial_frame_budget_and_a_members_are_not()
    {
        var setup = BootstrapSetup.Create().WithConfig(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
            .And(new PeerMembersSetup(LoopbackMember()));
        using var actors = ActorSystem.Create("bare", setup);
        var section = ConfigurationFactory.ParseString("""
            hostname = "127.0.0.1"
            port = 0
            maximum-frame-size = 4MiB
            partial-frame-budget = 1MiB
            """).WithFallback(EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer"));
        var transport = new PeerTcpTransport(actors, section);
        var (address, listener) = await transport.Listen();
        var frames = new Frames();
        listener.SetResult(new TakeAll(frames));
        const int big = 3 * 1024 * 1024;
        try
        {
            // 700 KiB of a 3 MiB frame: the reader's buffer doubles from 64 KiB to 1 MiB, the whole budget.
            using var first = await ConnectFromAsync("127.0.0.2", address.Port!.Value);
            await first.SendAsync(Frame(big, 700 * 1024));
            await UntilAsync(() => transport.FrameBudget.Used == 1024 * 1024, "the first stranger's buffer took the budget");
            // Another stranger's partial frame needs 128 KiB more: its connection is closed, the first one's holds on.
            using var second = await ConnectFromAsync("127.0.0.3", address.Port!.Value);
            await second.SendAsync(Frame(big, 100 * 1024));
            await PeerTcpTransportSpecs.AssertClosedAsync(second);
            Assert.Equal(1024 * 1024, transport.FrameBudget.Used);
            // A member's frame of the same size is taken whole over the full budget.
            using var member = await ConnectFromAsync("127.0.0.1", address.Port!.Value);
            await member.SendAsync(Frame(big, big));
            using var cts = new CancellationTokenSource(Within);
            Assert.Equal(big, await frames.Sizes.Reader.ReadAsync(cts.Token));
        }
        finally
        {
            await transport.Shutdown();
        }
        // Every connection ended: what they held is given back.
        await UntilAsync(() => transport.FrameBudget.Used == 0, "the budget was given back");
    }
}
