using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using System.Runtime.CompilerServices;
using Etcd.Actors.Cluster;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;

namespace Etcd.Actors.Server;

/// <summary>
/// One running member: its ActorSystem, the actor tree under /user/etcd and the <see cref="EtcdServer"/>
/// facade the gRPC edge calls. <see cref="StartAsync"/> returns once the member has recovered its journal
/// and backend and knows a leader, i.e. when it can serve client requests.
/// </summary>
public sealed class EtcdNode : IAsyncDisposable
{
    private EtcdNode(ActorSystem system, EtcdServer server)
    {
        System = system;
        Server = server;
    }

    public ActorSystem System { get; }
    public EtcdServer Server { get; }

    public static async Task<EtcdNode> StartAsync(EtcdServerSettings settings, CancellationToken ct = default)
    {
        var members = settings.InitialCluster
            .Select(m => (m.Key, Id: MemberIds.MemberId(m.Value, settings.InitialClusterToken)))
            .ToArray();
        var memberId = members.First(m => m.Key == settings.Name).Id;
        var voters = members.Select(m => m.Id).ToArray();
        var clusterId = MemberIds.ClusterId(voters);

        // Start-up is JIT-bound (ActorSystem ~0.4 s, the journal's first use ~1.3 s on 2 cores), so
        // independent pieces run side by side. The protobuf serializer's type scan (~1400 methods to JIT)
        // runs on a pool thread while this one prepares the journal file and starts the ActorSystem,
        // which waits for that class constructor only when it constructs the serializer.
        var warmSerializer = Task.Run(() => RuntimeHelpers.RunClassConstructor(typeof(ProtobufSerializer).TypeHandle));

        Directory.CreateDirectory(settings.MemberDir);
        SqlitePragmas.PrepareJournal(settings.JournalPath);

        var config = BuildConfig(settings);
        var system = ActorSystem.Create("etcd", config);
        await warmSerializer.ConfigureAwait(false);
        // Start the journal plugin now: its initialisation (linq2db, Akka.Streams) then overlaps with
        // MvccStoreActor opening the backend instead of following it.
        Persistence.Instance.Apply(system).JournalFor(null);
        var waits = new WaitRegistry(settings.MaxPendingProposals);
        var refs = new NodeRefs();

        var leaderKnown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(Props.Create(() => new LeaderListener(memberId, leaderKnown)), "startup-listener");
        // Subscribed here, synchronously, so the first LeaderChanged cannot slip past before PreStart.
        system.EventStream.Subscribe(listener, typeof(RaftProtocol.LeaderChanged));
        system.ActorOf(Props.Create(() => new NodeGuardian(settings, memberId, clusterId, voters, waits, refs)), "etcd");
        var server = new EtcdServer(settings, memberId, clusterId, refs, waits, new RequestIdGenerator(memberId, DateTimeOffset.UtcNow));
        var node = new EtcdNode(system, server);
        try
        {
            await leaderKnown.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        system.Stop(listener);
        return node;
    }

    /// <summary>Fails outstanding requests with "server stopped", then stops the actors and the system.</summary>
    public async ValueTask DisposeAsync()
    {
        Server.MarkStopped();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
    }

    internal static Config BuildConfig(EtcdServerSettings settings)
    {
        var hocon = $$"""
            akka {
              loglevel = {{(settings.LogLevel is "debug" ? "DEBUG" : settings.LogLevel is "info" ? "INFO" : settings.LogLevel is "warn" ? "WARNING" : "ERROR")}}
              stdout-loglevel = WARNING
              log-dead-letters = 0
              log-dead-letters-during-shutdown = off
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              coordinated-shutdown.exit-clr = off
            }
            """;
        var config = ConfigurationFactory.ParseString(hocon)
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.JournalHocon(settings.JournalPath, autoInitialize: false)));
        if (settings.ExtraHocon is { } extra) config = ConfigurationFactory.ParseString(extra).WithFallback(config);
        return config;
    }

    /// <summary>Completes when this member first learns of a leader (for a single member: itself).</summary>
    private sealed class LeaderListener : ReceiveActor
    {
        public LeaderListener(ulong memberId, TaskCompletionSource leaderKnown)
        {
            Receive<RaftProtocol.LeaderChanged>(l =>
            {
                if (l.MemberId == memberId && l.Leader != 0) leaderKnown.TrySetResult();
            });
        }
    }
}
