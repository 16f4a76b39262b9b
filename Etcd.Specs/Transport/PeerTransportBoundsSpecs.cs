using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Transport;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer.Transport;
using Etcd.Actors.Server;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Transport;

/// <summary>
/// The peer transport's bounds and its contract with Akka.Remote: the reader never runs on the thread that registers
/// its listener, a connection Akka.Remote never registers is closed, an ended connection leaves Akka's
/// ReadHandlerSource for Akka to complete, and one source address can neither take every handshake slot from the
/// members nor hold more connections than max-inbound-per-ip. Strangers connect from 127.0.0.2 (Linux routes all of
/// 127/8 to loopback), members from 127.0.0.1.
/// </summary>
public sealed class PeerTransportBoundsSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private sealed class Recorder : IHandleEventListener
    {
        public volatile bool Registering;
        public int RegisteringThread;
        public readonly TaskCompletionSource<bool> FirstPayloadInline = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Disassociated = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Notify(IHandleEvent ev)
        {
            if (ev is InboundPayload)
                FirstPayloadInline.TrySetResult(Registering && Environment.CurrentManagedThreadId == RegisteringThread);
            else if (ev is Akka.Remote.Transport.Disassociated) Disassociated.TrySetResult();
        }
    }

    private static async Task<(ActorSystem, PeerTcpTransport, IDisposable)> BareTransport(string settings, string system = "")
    {
        var actors = ActorSystem.Create("bare", ConfigurationFactory.ParseString("akka.loglevel = WARNING\n" + system));
        var section = ConfigurationFactory.ParseString("hostname = \"127.0.0.1\"\nport = 0\n" + settings)
            .WithFallback(EtcdConfig.Load("member.conf").GetConfig("akka.remote.etcd-peer"));
        var transport = new PeerTcpTransport(actors, section);
        (_, var listener) = await transport.Listen();
        return (actors, transport, new KeepAlive(listener));
    }

    private sealed class KeepAlive(object o) : IDisposable
    {
        public void Dispose() => GC.KeepAlive(o);
    }

    [Fact]
    public async Task The_reader_does_not_run_on_the_thread_that_registers_its_listener()
    {
        var (actors, transport, keep) = await BareTransport("");
        using var _ = actors;
        using var __ = keep;
        using var peerListener = new TcpListener(IPAddress.Loopback, 0);
        peerListener.Start();
        var handle = await transport.Associate(new Address("akka.tcp", "peer", "127.0.0.1", ((IPEndPoint)peerListener.LocalEndpoint).Port));
        using var peer = await peerListener.AcceptSocketAsync();
        // A frame waits in our socket before Akka registers (loopback delivers it during the send).
        var frame = new byte[4 + 10];
        BinaryPrimitives.WriteInt32LittleEndian(frame, 10);
        await peer.SendAsync(frame);

        var recorder = new Recorder { RegisteringThread = Environment.CurrentManagedThreadId, Registering = true };
        handle.ReadHandlerSource.SetResult(recorder); // as ProtocolStateActor does, on an actor's thread
        recorder.Registering = false;
        Assert.False(await recorder.FirstPayloadInline.Task.WaitAsync(Within), "the frame was handed up inside SetResult, on the registering thread");
        await transport.Shutdown();
    }

    [Fact]
    public async Task A_connection_akka_never_registers_is_closed_and_an_ended_one_leaves_its_read_handler_source_to_akka()
    {
        var (actors, transport, keep) = await BareTransport("connection-timeout = 200ms", "akka.remote.handshake-timeout = 300ms");
        using var _ = actors;
        using var __ = keep;
        using var peerListener = new TcpListener(IPAddress.Loopback, 0);
        peerListener.Start();
        var port = ((IPEndPoint)peerListener.LocalEndpoint).Port;

        // Akka's handshake timer won: nobody registers. The connection is closed after 200 ms + 300 ms.
        var orphan = await transport.Associate(new Address("akka.tcp", "peer", "127.0.0.1", port));
        using (var peer = await peerListener.AcceptSocketAsync())
            await PeerTcpTransportSpecs.AssertClosedAsync(peer);
        Assert.False(orphan.ReadHandlerSource.Task.IsCompleted);

        // Ended before Akka registers (here by Shutdown): Akka's SetResult still works and its listener hears the end.
        var handle = await transport.Associate(new Address("akka.tcp", "peer", "127.0.0.1", port));
        using var second = await peerListener.AcceptSocketAsync();
        await transport.Shutdown();
        var recorder = new Recorder();
        handle.ReadHandlerSource.SetResult(recorder);
        await recorder.Disassociated.Task.WaitAsync(Within);
    }

    [Fact]
    public async Task With_tls_a_stranger_holding_many_silent_connections_does_not_keep_a_member_out()
    {
        using var dir = new TempDir("peer-transport-bounds");
        var certs = new TestCertificates(dir.Sub("pki"));
        await using var a = PeerTransportNode.Start("a", PeerTcpTransportSpecs.Tls(dir, certs.IssuePeer("a", "a", 3001), certs.CaFile));
        // A long TLS handshake bound, so the stranger's connections hold their slots for the whole spec.
        await using var b = PeerTransportNode.Start("b", PeerTcpTransportSpecs.Tls(dir, certs.IssuePeer("b", "b", 3002), certs.CaFile),
            extra: "akka.remote.etcd-peer.connection-timeout = 120s");
        var stranger = new List<Socket>();
        try
        {
            // As many as max-pending-inbound: before the per-address bound they took every slot.
            for (var i = 0; i < 64; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                stranger.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await s.ConnectAsync(IPAddress.Loopback, b.Port);
            }
            // Accepted in order: the member's connection is judged after all of the stranger's.
            (await a.SinkOf(b).ResolveOne(Within)).Tell("member");
            Assert.Equal("member", await b.NextAsync(Within));
        }
        finally
        {
            foreach (var s in stranger) s.Dispose();
        }
    }

    [Fact]
    public async Task Connections_from_one_address_past_max_inbound_per_ip_are_closed_on_arrival()
    {
        // Akka.Remote's handshake would end silent associations too: only the bound may close them here.
        await using var b = PeerTransportNode.Start("b", extra: """
            akka.remote.handshake-timeout = 120s
            akka.remote.etcd-peer.max-inbound-per-ip = 4
            """);
        var stranger = new List<Socket>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                stranger.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await s.ConnectAsync(IPAddress.Loopback, b.Port);
            }
            await PeerTcpTransportSpecs.AssertClosedAsync(stranger[4]);
            output.WriteLine("the fifth connection from 127.0.0.2 was closed");
            // Another address is not held to 127.0.0.2's count.
            await using var a = PeerTransportNode.Start("a");
            (await a.SinkOf(b).ResolveOne(Within)).Tell("member");
            Assert.Equal("member", await b.NextAsync(Within));
        }
        finally
        {
            foreach (var s in stranger) s.Dispose();
        }
    }

    [Fact]
    public async Task With_tls_the_chain_of_a_member_we_dial_is_judged_for_server_authentication()
    {
        using var dir = new TempDir("peer-transport-eku");
        var certs = new TestCertificates(dir.Sub("pki"));
        var usage = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The dialling side's validator sees SslStream's chain: it must carry the usage check DotNetty's did.
        var dialling = new PeerTlsSettings(Load(certs.IssuePeer("a", "a", 4001)), false, (_, chain, _, _, _) =>
        {
            usage.TrySetResult(chain is not null && chain.ChainStatus.Any(s => s.Status == X509ChainStatusFlags.NotValidForUsage));
            return false;
        });
        var clientAuthOnly = new PeerTlsSettings(Load(certs.IssueClient("b", "b", 4002)), false, (_, _, _, _, _) => true);
        await using var a = PeerTransportNode.Start("a", dialling);
        await using var b = PeerTransportNode.Start("b", clientAuthOnly);
        a.SinkOf(b).Tell("to a member whose certificate is for client authentication only");
        Assert.True(await usage.Task.WaitAsync(Within), "SslStream's chain did not check serverAuth");
    }

    private static X509Certificate2 Load(TestCertificates.Pair pair)
    {
        using var pem = X509Certificate2.CreateFromPemFile(pair.CertFile, pair.KeyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
