using Akka.Actor;
using Akka.Configuration;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;

namespace Etcd.Specs.Cluster;

/// <summary>
/// A process that reaches the members' peer port without being a member: its own ActorSystem with Akka.Remote
/// on a free loopback port (with the throttler adapter the test members use, so it speaks their protocol),
/// protobuf for the peer types and Akka's default JSON for everything else, as anyone's Akka.NET would have.
/// It may address any actor path of a member, not only the gateway.
/// </summary>
internal sealed class PeerStranger : IAsyncDisposable
{
    private readonly ExtendedActorSystem _system;

    private PeerStranger(ExtendedActorSystem system)
    {
        _system = system;
        Self = system.ActorOf(Props.Create(() => new Sink()), "sink");
    }

    /// <summary>A sender to name (peers send with their RaftActor as the sender; a message without one has no address).</summary>
    public IActorRef Self { get; }

    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }

    public ActorSystem System => _system;

    /// <summary>The address members see for this stranger (named in their warnings).</summary>
    public string Address => _system.Provider.DefaultAddress.ToString();

    public static PeerStranger Start()
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.remote.dot-netty.tcp {
              hostname = "127.0.0.1"
              port = {{FreePort.Next()}}
            }
            {{TestCluster.ThrottlerHocon}}
            """).WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization));
        return new PeerStranger((ExtendedActorSystem)ActorSystem.Create("stranger", config));
    }

    /// <summary>The actor at <paramref name="path"/> (default: the gateway) of the member with <paramref name="settings"/>, by path as peers address it.</summary>
    public IActorRef At(EtcdServerSettings settings, string path = PeerDirectory.RaftPath) =>
        _system.Provider.ResolveActorRef(PeerDirectory.AddressOf(settings.AdvertisePeerUrls[0], _system.Provider.DefaultAddress.Protocol) + path);

    /// <summary>
    /// Asks the member's gateway for the cluster (the read-only query a joining member sends). Everything this
    /// stranger sent the member before went over the same connection and was handed to the gateway or RaftActor
    /// before this query, which RaftActor answers: so once it answers, RaftActor has handled all of it.
    /// </summary>
    public Task<PeerClusterInfo> BarrierAsync(EtcdServerSettings settings) =>
        _system.ActorSelection(PeerDirectory.RaftActorPath(settings.AdvertisePeerUrls[0], _system.Provider.DefaultAddress.Protocol))
            .Ask<PeerClusterInfo>(new PeerClusterQuery(), TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync() => await _system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
}
