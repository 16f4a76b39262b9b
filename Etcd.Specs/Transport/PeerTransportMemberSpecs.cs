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

    internal static async Task<Socket> ConnectFromAsync(string source, int port)
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

    internal sealed class Frames : IHandleEventListener
    {
        public readonly Channel<int> Sizes = Channel.CreateUnbounded<int>();

        public void Notify(IHandleEvent ev)
        {
            if (ev is InboundPayload p) Sizes.Writer.TryWrite(p.Payload.Length);
        }
    }

    // Registers every inbound connection's reader at once, as ProtocolStateActor does; nothing above it.
    internal sealed class TakeAll(IHandleEventListener reader) : IAssociationEventListener
    {
        public void Notify(IAssociationEvent ev)
        {
            if (ev is InboundAssociation inbound) inbound.Association.ReadHandlerSource.SetResult(reader);
        }
    }

    internal static byte[] Frame(int length, int send)
    {
        var bytes = new byte[4 + send];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        return bytes;
    }

    private static Task UntilAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, what, Within);

    [Fact]
    public async Task Strangers_partial_frames_are_held_to_the_partial_frame_budget_and_a_members_are_not()
    {
        var frames = new Frames();
        var (actors, transport, port) = await BareAsync(LoopbackMember(), "1MiB", frames);
        const int big = 3 * 1024 * 1024;
        try
        {
            // 700 KiB of a 3 MiB frame: the reader's buffer doubles from 64 KiB to 1 MiB, the whole budget.
            using var first = await ConnectFromAsync("127.0.0.2", port);
            await first.SendAsync(Frame(big, 700 * 1024));
            await UntilAsync(() => transport.FrameBudget.Used == 1024 * 1024, "the first stranger's buffer took the budget");
            // Another stranger's partial frame needs 128 KiB more: its connection is closed, the first one's holds on.
            using var second = await ConnectFromAsync("127.0.0.3", port);
            await PeerTcpTransportSpecs.SendToClosingAsync(second, Frame(big, 100 * 1024));
            await PeerTcpTransportSpecs.AssertClosedAsync(second);
            Assert.Equal(1024 * 1024, transport.FrameBudget.Used);
            // A member's frame of the same size is taken whole over the full budget.
            using var member = await ConnectFromAsync("127.0.0.1", port);
            await member.SendAsync(Frame(big, big));
            Assert.Equal(big, await NextFrameAsync(frames));
        }
        finally
        {
            await transport.Shutdown();
            await actors.Terminate();
        }
        // Every connection ended: what they held is given back.
        await UntilAsync(() => transport.FrameBudget.Used == 0, "the budget was given back");
    }

    /// <summary>The transport's section for a bare loopback transport with a 4 MiB maximum frame and
    /// <paramref name="budget"/> of partial-frame budget.</summary>
    internal static Config BareSection(string budget) => ConfigurationFactory.ParseString($"""
        hostname = "127.0.0.1"
        port = 0
        maximum-frame-size = 4MiB
        partial-frame-budget = {budget}
        """).WithFallback(EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer"));

    /// <summary>A bare transport on a loopback port (no Akka.Remote above it) whose every inbound connection's frames
    /// go to <paramref name="frames"/>.</summary>
    private static async Task<(ActorSystem Actors, PeerTcpTransport Transport, int Port)> BareAsync(PeerMemberAddresses members,
        string budget, Frames frames)
    {
        var setup = BootstrapSetup.Create().WithConfig(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
            .And(new PeerMembersSetup(members));
        var actors = ActorSystem.Create("bare", setup);
        var transport = new PeerTcpTransport(actors, BareSection(budget));
        var (address, listener) = await transport.Listen();
        listener.SetResult(new TakeAll(frames));
        return (actors, transport, address.Port!.Value);
    }

    private static async Task<int> NextFrameAsync(Frames frames)
    {
        using var cts = new CancellationTokenSource(Within);
        return await frames.Sizes.Reader.ReadAsync(cts.Token);
    }

    [Fact]
    public async Task A_grown_buffer_keeps_only_what_the_frame_under_way_needs()
    {
        // The reviews of the budget: a stranger sending each large frame with some of the next one kept its grown
        // buffer (and its charge) for good; first with a few bytes of the next frame, then, once a leftover under
        // 64 KiB shrank it, with 64 KiB or more of a small next frame. Now a grown buffer keeps what the frame under
        // way declares (ArrayPool rounds it up to a power of two), and nothing is charged at the default 64 KiB.
        var frames = new Frames();
        var (actors, transport, port) = await BareAsync(new PeerMemberAddresses(), "16MiB", frames);
        const int KiB = 1024, MiB = 1024 * KiB;
        try
        {
            using var stranger = await ConnectFromAsync("127.0.0.2", port);
            await stranger.SendAsync(Frame(3 * MiB, 0));
            // The 3 MiB frame (its buffer grew to 4 MiB) with 70 KiB of a 100 KiB frame: 128 KiB kept, not 4 MiB.
            await stranger.SendAsync(Rest(3 * MiB, next: 100 * KiB, nextSent: 70 * KiB));
            Assert.Equal(3 * MiB, await NextFrameAsync(frames));
            await UntilAsync(() => transport.FrameBudget.Used == 128 * KiB, "a 100 KiB frame under way keeps 128 KiB");
            // The rest of it with 6 bytes of a 1 MiB frame: its 128 KiB stay until the 1 MiB frame grows them.
            await stranger.SendAsync(Rest(30 * KiB, next: MiB, nextSent: 6));
            Assert.Equal(100 * KiB, await NextFrameAsync(frames));
            Assert.Equal(128 * KiB, transport.FrameBudget.Used);
            // Back-to-back 1 MiB frames keep their 2 MiB buffer instead of shrinking and growing again for each.
            await stranger.SendAsync(Rest(MiB - 6, next: MiB, nextSent: 6));
            Assert.Equal(MiB, await NextFrameAsync(frames));
            await UntilAsync(() => transport.FrameBudget.Used == 2 * MiB, "the next 1 MiB frame keeps its 2 MiB buffer");
            // The last large frame with 2 bytes of an 8-byte one: back to the default buffer, nothing charged.
            await stranger.SendAsync(Rest(MiB - 6, next: 8, nextSent: 2));
            Assert.Equal(MiB, await NextFrameAsync(frames));
            await UntilAsync(() => transport.FrameBudget.Used == 0, "a small frame under way gives the charge back");
            output.WriteLine("128 KiB, 128 KiB, 2 MiB, then 0 charged, as each frame under way needed");
        }
        finally
        {
            await transport.Shutdown();
            await actors.Terminate();
        }
    }

    // The remaining bytes of a frame, then the prefix of the next one (declaring next bytes) and nextSent of them.
    private static byte[] Rest(int rest, int next, int nextSent)
    {
        var bytes = new byte[rest + 4 + nextSent];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(rest), next);
        return bytes;
    }

    [Fact]
    public async Task Whether_a_connection_is_a_members_is_asked_when_its_buffer_grows_not_when_it_began()
    {
        var frames = new Frames();
        var members = new PeerMemberAddresses();
        var (actors, transport, port) = await BareAsync(members, "1MiB", frames);
        const int big = 3 * 1024 * 1024;
        try
        {
            // Accepted before this member knows the table (a leader reaching a restarting member): a stranger then.
            using var early = await ConnectFromAsync("127.0.0.1", port);
            await early.SendAsync(Frame(10, 10));
            Assert.Equal(10, await NextFrameAsync(frames));
            await members.Publish(["http://127.0.0.1:2380"]);
            // A member's now: its frame over the whole budget is taken.
            await early.SendAsync(Frame(big, big));
            Assert.Equal(big, await NextFrameAsync(frames));

            // A removed member's connection loses the exemption: the same frame closes it.
            using var removed = await ConnectFromAsync("127.0.0.1", port);
            await removed.SendAsync(Frame(10, 10));
            Assert.Equal(10, await NextFrameAsync(frames));
            await members.Publish(["http://127.0.0.9:2380"]);
            await PeerTcpTransportSpecs.SendToClosingAsync(removed, Frame(big, big));
            await PeerTcpTransportSpecs.AssertClosedAsync(removed);
        }
        finally
        {
            await transport.Shutdown();
            await actors.Terminate();
        }
        await UntilAsync(() => transport.FrameBudget.Used == 0, "the budget was given back");
    }
}
