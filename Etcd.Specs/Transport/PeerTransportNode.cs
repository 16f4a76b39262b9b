using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Etcd.Actors.Configuration;
using Etcd.Actors.Peer;
using Etcd.Actors.Peer.Transport;
using Etcd.Actors.Server;
using Etcd.Specs.Support;

namespace Etcd.Specs.Transport;

/// <summary>
/// An ActorSystem on a free loopback port whose Akka.Remote runs over our peer transport with member.conf's settings
/// (and optionally TLS), with a sink actor at /user/sink that records what it receives in order.
/// </summary>
internal sealed class PeerTransportNode : IAsyncDisposable
{
    private sealed class Sink : ReceiveActor
    {
        public Sink(ChannelWriter<object> seen) => ReceiveAny(m => seen.TryWrite(m));
    }

    private readonly Channel<object> _seen = Channel.CreateUnbounded<object>();

    private PeerTransportNode(string name, int port, PeerTlsSettings? tls, string extra, PeerMemberAddresses? members)
    {
        Port = port;
        // Both transports' sections, as EtcdNode.BuildConfig writes them, with ours enabled explicitly (these specs are
        // about it, whatever member.conf's default is): `extra` may enable DotNetty instead (an A/B).
        var endpoint = $$"""
            {
              hostname = "127.0.0.1"
              port = {{port}}
              maximum-frame-size = 4MiB
              enable-ssl = {{(tls is null ? "off" : "on")}}
            }
            """;
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.remote.etcd-peer {{endpoint}}
            akka.remote.dot-netty.tcp {{endpoint}}
            akka.remote.enabled-transports = ["akka.remote.etcd-peer"]
            {{extra}}
            """).WithFallback(EtcdConfig.Load("member.conf"));
        var setup = Akka.Actor.Setup.ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        if (members is not null) setup = setup.And(new PeerMembersSetup(members));
        System = ActorSystem.Create(name, tls is null ? setup : setup.And(tls.ToSetup()));
        System.ActorOf(Props.Create(() => new Sink(_seen.Writer)), "sink");
    }

    /// <param name="members">The addresses this node's transport takes for the cluster's members (EtcdNode publishes
    /// the member table's); none when null.</param>
    public static PeerTransportNode Start(string name, PeerTlsSettings? tls = null, string extra = "", PeerMemberAddresses? members = null) =>
        new(name, FreePort.Next(), tls, extra, members);

    public ActorSystem System { get; }
    public int Port { get; }

    /// <summary>The other node's sink, as this node addresses it (the scheme follows TLS: akka.tcp or akka.ssl.tcp).</summary>
    public ActorSelection SinkOf(PeerTransportNode other) =>
        System.ActorSelection($"{((ExtendedActorSystem)System).Provider.DefaultAddress.Protocol}://{other.System.Name}@127.0.0.1:{other.Port}/user/sink");

    /// <summary>The next message the sink received, or null when none came within <paramref name="within"/>.</summary>
    public async Task<object?> NextAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try { return await _seen.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) { return null; }
    }

    public async ValueTask DisposeAsync() => await System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
}
