using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Compactor;
using Akka.Actor.Setup;
using Akka.Persistence.Sql.Config;
using Akka.Configuration;
using Akka.Persistence;
using System.Runtime.CompilerServices;
using Etcd.Actors.Cluster;
using Etcd.Actors.Configuration;
using Etcd.Actors.Corruption;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Actors.Wait;

namespace Etcd.Actors.Server;

/// <summary>
/// One running member: its ActorSystem (Akka.Remote on the peer URL), the actor tree under /user/etcd and the
/// <see cref="EtcdServer"/> facade the gRPC edge calls. <see cref="StartAsync"/> returns once the member has
/// recovered its journal and backend, knows a leader and has published its name and client URLs, i.e. when it
/// can serve client requests. For a cluster that is when a quorum of members is up, as with etcd.
/// </summary>
public sealed class EtcdNode : IAsyncDisposable
{
    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopMonitor = new();
    private Task _monitor = Task.CompletedTask;

    private EtcdNode(ActorSystem system, EtcdServer server, MemberIdentity identity)
    {
        System = system;
        Server = server;
        Identity = identity;
    }

    private const string NettyAllocatorVariable = "io.netty.allocator.type";
    private static readonly IReadOnlyDictionary<ulong, IReadOnlyList<string>> NoPeers = new Dictionary<ulong, IReadOnlyList<string>>();

    public ActorSystem System { get; }
    public EtcdServer Server { get; }
    public MemberIdentity Identity { get; }

    /// <summary>The interceptor every journal connection goes through (synchronous=FULL); specs count its opens.</summary>
    internal JournalConnectionInterceptor? JournalConnections { get; private set; }

    /// <summary>Completes when the cluster removed this member; the host should then stop (etcd exits).</summary>
    public Task Removed => _removed.Task;

    /// <summary>Completes with the reason when this member can no longer serve (<see cref="NodeFailed"/>); the host should exit non-zero.</summary>
    public Task<string> Failed => _failed.Task;

    public static async Task<EtcdNode> StartAsync(EtcdServerSettings settings, CancellationToken ct = default)
    {
        var initial = InitialCluster.From(settings.InitialCluster, settings.InitialClusterToken);

        // Start-up is JIT-bound (ActorSystem ~0.4 s, the journal's first use ~1.3 s on 2 cores), so
        // independent pieces run side by side. The protobuf serializer's type scan runs on a pool thread
        // while this one prepares the journal file and starts the ActorSystem, which waits for that class
        // constructor only when it constructs the serializer.
        var warmSerializer = Task.Run(() => RuntimeHelpers.RunClassConstructor(typeof(ProtobufSerializer).TypeHandle));

        Directory.CreateDirectory(settings.MemberDir);
        SqlitePragmas.PrepareJournal(settings.JournalPath);
        var known = MemberIdentityStore.Load(settings.JournalPath);

        // DotNetty (under Akka.Remote) reads its allocator from the environment when its types first load. Its
        // pooled allocator keeps 16 MiB arenas on the large object heap: the GC heap of a loaded member was
        // 78 MB committed with them, 46 MB without (peak RSS did not move measurably), and unpooled buffers
        // measured no slower for Raft's traffic. A value the operator set wins.
        if (Environment.GetEnvironmentVariable(NettyAllocatorVariable) is null) Environment.SetEnvironmentVariable(NettyAllocatorVariable, "unpooled");
        // The journal plugin connects with our linq2db options, whose interceptor sets synchronous=FULL on every
        // native connection the first time the pool hands it out (SqlitePragmas); PrepareJournal above checked that
        // this SQLite honours it.
        var journalConnections = new JournalConnectionInterceptor();
        ActorSystemSetup setup = BootstrapSetup.Create().WithConfig(BuildConfig(settings))
            .And(new DataOptionsSetup(SqlitePragmas.JournalDataOptions(settings.JournalPath, journalConnections)));
        // https peer URLs: BuildConfig turned enable-ssl on; the certificate and the validator come as a setup
        // (Akka.Remote prefers it over its HOCON ssl section, which can only name a PFX file or a store).
        if (settings.PeerTls is { } tls) setup = setup.And(tls.ToSetup());
        // The members' addresses pass the peer port's global inbound bounds (PeerInboundLimits): the initial cluster's
        // now, the member table's once MvccStoreActor has it (it publishes every change).
        var peerMembers = new Peer.PeerMemberAddresses();
        setup = setup.And(new Peer.PeerMembersSetup(peerMembers));
        var initialUrls = known is { Joined: true } ? [] : initial.PeerUrls().Values.SelectMany(u => u).ToList();
        // IP literals before the transport listens, so no member's connection is admitted as a stranger's.
        _ = peerMembers.Publish(initialUrls.Where(u => Peer.PeerMemberAddresses.TryHost(u, out _, out var ip) && ip is not null));
        var system = ActorSystem.Create(PeerDirectory.SystemName, setup);
        // Lookup failures go to the member's log; host names are resolved again until the system terminates.
        peerMembers.AttachTo(system);
        // Host names once attached, so a name that fails its first lookup is warned in the member's log; a member's
        // connection before its name resolves counts as a stranger's, which the bounds admit while they are not full.
        if (initialUrls.Count > 0) _ = peerMembers.Publish(initialUrls);
        try
        {
            await warmSerializer.ConfigureAwait(false);
            // Start the journal plugin now: its initialisation (linq2db, Akka.Streams) then overlaps with
            // MvccStoreActor opening the backend instead of following it.
            Persistence.Instance.Apply(system).JournalFor(null);

            // A joined member's ids were chosen by the cluster, so ids derived from our flags would name
            // nobody (or someone else): on restart its peers come from the member table the store publishes.
            var (identity, peers) = known switch
            {
                { Joined: true } => (known, NoPeers),
                not null => (known, initial.PeerUrls()),
                null => await NewIdentityAsync(settings, initial, system, ct).ConfigureAwait(false),
            };
            // A joining member was given the cluster's own table (its members may not be the flags' initial cluster).
            if (known is null && identity.Joined) _ = peerMembers.Publish(peers.Values.SelectMany(u => u));
            if (known is null) MemberIdentityStore.Save(settings.JournalPath, identity);
            // A member with data compares it with its peers' before it starts Raft (etcd: only when initialized).
            else await InitialCorruptCheck.RunAsync(system, settings, identity.MemberId, identity.ClusterId, ct).ConfigureAwait(false);
            var member = new RaftMember(identity.MemberId, identity.ClusterId, identity.Joined ? null : initial.BootstrapChanges(), peers);
            var node = await StartMemberAsync(settings, system, identity, member, ct).ConfigureAwait(false);
            node.JournalConnections = journalConnections;
            return node;
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new cluster's member takes etcd's ids from the flags; a joining one asks the running cluster.</summary>
    private static async Task<(MemberIdentity, IReadOnlyDictionary<ulong, IReadOnlyList<string>>)> NewIdentityAsync(
        EtcdServerSettings settings, InitialCluster initial, ActorSystem system, CancellationToken ct)
    {
        if (settings.InitialClusterState != "existing")
            return (new MemberIdentity(initial.Self(settings.Name).ID, initial.ClusterId, Joined: false), initial.PeerUrls());
        var join = await ClusterJoin.FindSelfAsync(system, settings, ct).ConfigureAwait(false);
        // The cluster's own table: its ids were chosen by the cluster (member add), not derived from our flags.
        var peers = join.Cluster.Members.ToDictionary(m => m.ID, m => (IReadOnlyList<string>)m.PeerURLs.ToArray());
        return (new MemberIdentity(join.MemberId, join.ClusterId, Joined: true), peers);
    }

    private static async Task<EtcdNode> StartMemberAsync(EtcdServerSettings settings, ActorSystem system, MemberIdentity identity,
        RaftMember member, CancellationToken ct)
    {
        var waits = new WaitRegistry(settings.Raft.MaxPendingProposals, settings.RequestTimeout);
        var jwt = settings.Jwt ?? Auth.AuthTokenSetup.Create(settings.AuthToken, warning => system.Log.Warning("auth: {0}", warning));
        var refs = new NodeRefs(new Auth.AuthGate(settings.AuthTokenTtl, () => new Auth.BcryptPasswordHasher(settings.BcryptCost), jwt: jwt));
        var leaderKnown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(Props.Create(() => new MemberListener(identity.MemberId, leaderKnown, removed, failed)), "member-listener");
        // Subscribed here, synchronously, so the first LeaderChanged cannot slip past before PreStart.
        system.EventStream.Subscribe(listener, typeof(RaftProtocol.LeaderChanged));
        system.EventStream.Subscribe(listener, typeof(RaftProtocol.MemberRemoved));
        system.EventStream.Subscribe(listener, typeof(NodeFailed));
        // One generator for the facade and the lease manager's proposals, so no id is used twice.
        var ids = new RequestIdGenerator(identity.MemberId, DateTimeOffset.UtcNow);
        system.ActorOf(Props.Create(() => new NodeGuardian(settings, member, waits, refs, ids)), "etcd");
        var server = new EtcdServer(settings, identity.MemberId, identity.ClusterId, refs, waits, ids);
        var node = new EtcdNode(system, server, identity);
        // A removed member stops serving at once (etcd stops the server); the host decides when to exit.
        _ = removed.Task.ContinueWith(_ =>
        {
            server.MarkStopped();
            node._removed.TrySetResult();
        }, TaskScheduler.Default);
        _ = failed.Task.ContinueWith(t =>
        {
            server.MarkStopped();
            node._failed.TrySetResult(t.Result);
        }, TaskScheduler.Default);
        try
        {
            // A member that fails before it ever sees a leader must not leave its caller waiting.
            if (await Task.WhenAny(leaderKnown.Task, failed.Task).WaitAsync(ct).ConfigureAwait(false) == failed.Task)
                throw new InvalidOperationException($"member failed while starting: {failed.Task.Result}");
            await server.PublishAsync(ct).ConfigureAwait(false);
            node._monitor = new CorruptionMonitor(system, server, refs.Status).RunAsync(node._stopMonitor.Token);
            // etcd starts its compactor once the server runs, and only for a non-zero retention.
            if (settings.Compactor.Auto.Enabled)
                system.ActorOf(CompactorActor.Props(settings.Compactor, new ServerCompactionTarget(server, refs.Status), settings.RequestTimeout), "compactor");
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return node;
    }

    /// <summary>
    /// Hands leadership to another voter if this member leads (etcd does so on a graceful stop, so the cluster
    /// does not wait an election timeout), fails outstanding requests with "server stopped", then stops the
    /// actors and the system.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopMonitor.CancelAsync().ConfigureAwait(false);
        await _monitor.ConfigureAwait(false);
        await Server.TransferLeadershipOnStopAsync().ConfigureAwait(false);
        Server.MarkStopped();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
        // member.conf turns CoordinatedShutdown's own termination off (a failed TLS handshake runs it): end it here.
        await System.Terminate().ConfigureAwait(false);
    }

    /// <summary>
    /// The member's Akka configuration: the embedded member.conf, serialization.conf and journal.conf, with
    /// only what flags decide laid over them (log level, peer endpoint, frame size, journal file), and a config
    /// file's akka section (<see cref="EtcdServerSettings.ExtraHocon"/>) over everything.
    /// </summary>
    internal static Config BuildConfig(EtcdServerSettings settings)
    {
        var (bindHost, bindPort) = HostPort(settings.ListenPeerUrls[0]);
        var (publicHost, publicPort) = HostPort(settings.AdvertisePeerUrls[0]);
        // One entry may be as large as --max-request-bytes; a MsgApp carries at least one.
        var frame = Math.Max(4L * 1024 * 1024, settings.MaxRequestBytes + 1024L * 1024);
        var level = settings.LogLevel switch { "debug" => "DEBUG", "info" => "INFO", "warn" => "WARNING", _ => "ERROR" };
        // The same endpoint for either transport (member.conf enables one: ours, or DotNetty for an A/B or fallback).
        var endpoint = $$"""
            {
              hostname = "{{bindHost}}"
              port = {{bindPort}}
              public-hostname = "{{publicHost}}"
              public-port = {{publicPort}}
              maximum-frame-size = {{frame}}b
              enable-ssl = {{(settings.PeerTls is null ? "off" : "on")}}
            }
            """;
        var fromFlags = $"""
            akka.loglevel = {level}
            akka.remote.dot-netty.tcp {endpoint}
            akka.remote.etcd-peer {endpoint}
            """;
        var config = ConfigurationFactory.ParseString(fromFlags)
            .WithFallback(EtcdConfig.Load("member.conf"))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.PeerPort))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.JournalHocon(settings.JournalPath, autoInitialize: false)));
        if (settings.ExtraHocon is { } extra) config = ConfigurationFactory.ParseString(extra).WithFallback(config);
        return config;
    }

    /// <summary>etcd's peer URL → the Akka.Remote endpoint; an empty or wildcard host binds every address.</summary>
    private static (string Host, int Port) HostPort(string url)
    {
        var uri = new Uri(url, UriKind.Absolute);
        var host = uri.Host is "" or "*" or "[::]" ? "0.0.0.0" : uri.Host.Trim('[', ']');
        return (host, uri.Port);
    }

    /// <summary>Completes when this member first learns of a leader, when it is removed from the cluster, and when it fails.</summary>
    private sealed class MemberListener : ReceiveActor
    {
        public MemberListener(ulong memberId, TaskCompletionSource leaderKnown, TaskCompletionSource removed, TaskCompletionSource<string> failed)
        {
            Receive<NodeFailed>(f =>
            {
                if (f.MemberId == memberId) failed.TrySetResult(f.Reason);
            });
            Receive<RaftProtocol.LeaderChanged>(l =>
            {
                if (l.MemberId == memberId && l.Leader != 0) leaderKnown.TrySetResult();
            });
            Receive<RaftProtocol.MemberRemoved>(r =>
            {
                if (r.MemberId == memberId) removed.TrySetResult();
            });
        }
    }
}
