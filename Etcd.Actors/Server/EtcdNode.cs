using Akka.Actor;
using Akka.Configuration;
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
    private readonly WaitRegistry _waits;

    private EtcdNode(ActorSystem system, EtcdServer server, WaitRegistry waits)
    {
        System = system;
        Server = server;
        _waits = waits;
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

        Directory.CreateDirectory(settings.MemberDir);
        SqlitePragmas.EnableWal(settings.JournalPath);

        var config = BuildConfig(settings);
        var system = ActorSystem.Create("etcd", config);
        var waits = new WaitRegistry(settings.MaxPendingProposals);
        var refs = new NodeRefs();

        var leaderKnown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(Props.Create(() => new LeaderListener(memberId, leaderKnown)), "startup-listener");
        // Subscribed here, synchronously, so the first LeaderChanged cannot slip past before PreStart.
        system.EventStream.Subscribe(listener, typeof(RaftProtocol.LeaderChanged));
        system.ActorOf(Props.Create(() => new NodeGuardian(settings, memberId, clusterId, voters, waits, refs)), "etcd");
        var server = new EtcdServer(settings, memberId, clusterId, refs, waits, new RequestIdGenerator(memberId, DateTimeOffset.UtcNow));
        var node = new EtcdNode(system, server, waits);
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
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.JournalHocon(settings.JournalPath)));
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
