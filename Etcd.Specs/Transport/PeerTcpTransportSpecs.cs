using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Transport;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer.Transport;
using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;
using Etcd.Node.Tls;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Transport;

/// <summary>
/// The peer transport (Etcd.Actors/Peer/Transport) under real Akka.Remote on loopback: order, a large message,
/// backpressure when the peer stops reading, strangers that send garbage or a huge length prefix, and TLS refusing a
/// certificate of another CA while offering TLS 1.3.
/// </summary>
public sealed class PeerTcpTransportSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Messages_arrive_in_the_order_they_were_sent()
    {
        await using var a = PeerTransportNode.Start("a");
        await using var b = PeerTransportNode.Start("b");
        var sink = await a.SinkOf(b).ResolveOne(Within);
        const int count = 3000;
        for (var i = 0; i < count; i++) sink.Tell($"m{i}");
        for (var i = 0; i < count; i++) Assert.Equal($"m{i}", await b.NextAsync(Within));
    }

    [Fact]
    public async Task A_message_of_several_megabytes_arrives_whole()
    {
        await using var a = PeerTransportNode.Start("a");
        await using var b = PeerTransportNode.Start("b");
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var big = new byte[3 * 1024 * 1024];
        new Random(seed).NextBytes(big);
        var sink = await a.SinkOf(b).ResolveOne(Within);
        sink.Tell("before");
        sink.Tell(big);
        sink.Tell("after");
        Assert.Equal("before", await b.NextAsync(Within));
        Assert.Equal(big, Assert.IsType<byte[]>(await b.NextAsync(Within)));
        Assert.Equal("after", await b.NextAsync(Within));
    }

    [Fact]
    public async Task Write_says_no_once_the_queue_is_full_while_the_peer_reads_nothing_and_everything_arrives_after()
    {
        using var system = ActorSystem.Create("bp", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var section = ConfigurationFactory.ParseString("""
            hostname = "127.0.0.1"
            port = 0
            outbound-queue-size = 1MiB
            """).WithFallback(EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer"));
        var transport = new PeerTcpTransport(system, section);
        (_, var listener) = await transport.Listen();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var handle = await transport.Associate(new Address("akka.tcp", "peer", "127.0.0.1", port));
        using var peer = await silent.AcceptSocketAsync();
        var payload = new byte[64 * 1024];
        var accepted = 0;
        var refusedSince = (DateTime?)null;
        var deadline = DateTime.UtcNow + Within;
        // Loopback's socket buffers take a few MiB; after that only the 1 MiB queue is left, and then Write says no for good.
        while (refusedSince is null || DateTime.UtcNow - refusedSince < TimeSpan.FromMilliseconds(500))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Write never said no ({accepted} frames of 64 KiB taken)");
            BinaryPrimitives.WriteInt32LittleEndian(payload, accepted);
            if (handle.Write(ByteString.CopyFrom(payload)))
            {
                accepted++;
                refusedSince = null;
            }
            else
            {
                refusedSince ??= DateTime.UtcNow;
                await Task.Delay(10);
            }
        }
        output.WriteLine($"{accepted} frames taken before the queue stayed full");
        Assert.InRange(((PeerAssociationHandle)handle).QueuedBytes, 1, 1024 * 1024 + payload.Length + 4);
        Assert.True(accepted < 1024, $"{accepted} frames of 64 KiB taken by a peer that reads nothing");

        // The peer reads again: every frame taken arrives, whole and in order, and Write takes frames again.
        var frame = new byte[4 + payload.Length];
        for (var i = 0; i < accepted; i++)
        {
            await ReadExactlyAsync(peer, frame);
            Assert.Equal(payload.Length, BinaryPrimitives.ReadInt32LittleEndian(frame));
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(4)));
        }
        Assert.True(handle.Write(ByteString.CopyFrom(payload)));
        await transport.Shutdown();
        GC.KeepAlive(listener);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0x7f })] // 2 GiB - 1
    [InlineData(new byte[] { 0x00, 0x00, 0x50, 0x00 })] // 5 MiB, over the 4 MiB maximum-frame-size
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff })] // negative
    public async Task A_stranger_whose_length_prefix_is_out_of_bounds_is_closed_and_the_member_keeps_serving(byte[] prefix)
    {
        await using var a = PeerTransportNode.Start("a");
        // Akka.Remote's own handshake timeout would end a silent association too: only the transport may close it here.
        await using var b = PeerTransportNode.Start("b", extra: "akka.remote.handshake-timeout = 120s");
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stranger.ConnectAsync(IPAddress.Loopback, b.Port);
        await stranger.SendAsync(prefix.Concat(new byte[64]).ToArray());
        await AssertClosedAsync(stranger);
        var sink = await a.SinkOf(b).ResolveOne(Within);
        sink.Tell("still here");
        Assert.Equal("still here", await b.NextAsync(Within));
    }

    [Fact]
    public async Task A_stranger_sending_garbage_frames_is_closed_and_the_member_keeps_serving()
    {
        await using var a = PeerTransportNode.Start("a");
        await using var b = PeerTransportNode.Start("b");
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var garbage = new byte[1000];
        new Random(seed).NextBytes(garbage);
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stranger.ConnectAsync(IPAddress.Loopback, b.Port);
        // A well-formed frame whose payload is not Akka's protocol: Akka.Remote's handshake refuses it, and the
        // connection goes with it.
        var frame = new byte[4 + garbage.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, garbage.Length);
        garbage.CopyTo(frame, 4);
        await stranger.SendAsync(frame);
        await AssertClosedAsync(stranger);
        var sink = await a.SinkOf(b).ResolveOne(Within);
        sink.Tell("still here");
        Assert.Equal("still here", await b.NextAsync(Within));
    }

    [Fact]
    public async Task With_tls_a_member_of_another_ca_is_refused_members_of_ours_talk_and_tls_1_3_is_offered()
    {
        using var dir = new TempDir("peer-transport-tls");
        var certs = new TestCertificates(dir.Sub("pki"));
        var pairA = certs.IssuePeer("a", "a", 2001);
        await using var a = PeerTransportNode.Start("a", Tls(dir, pairA, certs.CaFile));
        await using var b = PeerTransportNode.Start("b", Tls(dir, certs.IssuePeer("b", "b", 2002), certs.CaFile));
        var other = certs.IssuePeerFromAnotherCa("c", "c", 2003);
        await using var c = PeerTransportNode.Start("c", Tls(dir, other, certs.CaFile));

        (await a.SinkOf(b).ResolveOne(Within)).Tell("from a");
        Assert.Equal("from a", await b.NextAsync(Within));
        c.SinkOf(b).Tell("from c");
        Assert.Null(await b.NextAsync(TimeSpan.FromSeconds(5)));

        // What the transport offers: TLS 1.3 (DotNetty's TlsHandler stopped at 1.2).
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, b.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        var mine = X509Certificate2.CreateFromPemFile(pairA.CertFile, pairA.KeyFile);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => mine,
        });
        Assert.Equal(SslProtocols.Tls13, ssl.SslProtocol);
    }

    internal static PeerTlsSettings Tls(TempDir dir, TestCertificates.Pair pair, string ca) =>
        PeerTlsSetup.Create(new PeerTlsOptions
        {
            CertFile = pair.CertFile, KeyFile = pair.KeyFile, TrustedCaFile = ca, ClientCertAuth = true, CrlFile = "",
            AllowedCn = "", AllowedHostname = "", AutoTls = false, SkipClientSanVerify = false, Enabled = true,
        }, dir.Path, ["https://127.0.0.1:2380"], new Capnslog(TextWriter.Null, "info"))!;

    /// <summary>The other side closes: a read returns 0 or the connection is reset, within 30 s.</summary>
    internal static async Task AssertClosedAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Within);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0) { }
        }
        catch (SocketException) { }
    }

    /// <summary>
    /// Sends to a connection the other side is meant to close part-way (a frame over a bound): when the send outruns
    /// the socket buffers it then fails with EPIPE (SocketError.Shutdown) or ECONNRESET, which says no more than the
    /// <see cref="AssertClosedAsync"/> that must follow. A connection left open still fails that check.
    /// </summary>
    internal static async Task SendToClosingAsync(Socket socket, byte[] bytes)
    {
        try { await socket.SendAsync(bytes, SocketFlags.None); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted) { }
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] into)
    {
        using var cts = new CancellationTokenSource(Within);
        for (var got = 0; got < into.Length;)
        {
            var n = await socket.ReceiveAsync(into.AsMemory(got), SocketFlags.None, cts.Token);
            Assert.True(n > 0, "the connection closed early");
            got += n;
        }
    }
}
