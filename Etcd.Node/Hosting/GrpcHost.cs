using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;
using Etcd.Node.Services;
using Etcd.Node.Tls;
using Grpc.AspNetCore.Server.Model;

namespace Etcd.Node.Hosting;

/// <summary>
/// The client port: Kestrel with the etcd v3 gRPC services. Kept lean on purpose (measured
/// when it was built): ASP.NET Core and gRPC log at Warning only (request logging at Information costs ~45% throughput),
/// no response compression, services are singletons (no per-call allocation), and no interceptor: each service maps etcd's errors to status itself (Services/GrpcErrors.cs).
/// </summary>
public static class GrpcHost
{
    /// <summary>The logger category of ASP.NET Core's per-request hosting diagnostics.</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>etcd: the gRPC receive limit is --max-request-bytes plus 512 KiB of headroom for the envelope.</summary>
    public const int GrpcOverheadBytes = 512 * 1024;

    /// <summary>
    /// Builds the host while the member is still starting: <paramref name="server"/> completes when it is
    /// ready. Building (DI, endpoint mapping: most of the JIT work) thus overlaps the journal recovery.
    /// </summary>
    public static WebApplication Build(Task<EtcdServer> server, EtcdServerSettings settings, NodeOptions options, ClientTlsServer? tls, Capnslog log)
    {
        // No args and the app's own directory: the node reads etcd's flags itself, never appsettings.json
        // or ASP.NET's command-line keys from the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });

        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new CapnslogLoggerProvider(log));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // Hosting's logger category writes request starting/finished at Information, and also a Critical "Application
        // startup exception" and a Warning about overriding HTTP_PORTS; while it is enabled at any level ASP.NET Core
        // starts an Activity and a log scope for every request (HostingApplicationDiagnostics.BeginRequest tests
        // IsEnabled(Critical)): ~5% of a put's allocations. Off: a start-up exception still stops the member with
        // NodeRunner's "cannot serve clients" line, and we set no HTTP_PORTS.
        builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);

        builder.Services.AddSingleton<IHostLifetime, SignalOwnedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.MaxStreamsPerConnection = (int)Math.Min(options.MaxConcurrentStreams, int.MaxValue);
            kestrel.Limits.Http2.KeepAlivePingDelay = KeepAlive(options.KeepAliveInterval);
            kestrel.Limits.Http2.KeepAlivePingTimeout = KeepAlive(options.KeepAliveTimeout);
            ClientListeners.Bind(kestrel, options.ListenClientUrls, tls);
        });

        // Resolved at the first call; Kestrel only starts listening once the member is ready, so this
        // never waits in practice (and a member that failed to start never gets here).
        builder.Services.AddSingleton(_ => server.GetAwaiter().GetResult());
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = (int)Math.Min((long)settings.MaxRequestBytes + GrpcOverheadBytes, int.MaxValue);
            grpc.MaxSendMessageSize = null; // etcd: math.MaxInt32
            grpc.EnableDetailedErrors = false;
        });
        builder.Services.AddSingleton<KvService>();
        builder.Services.AddSingleton<IServiceMethodProvider<KvService>, KvMethodProvider>();
        builder.Services.AddSingleton<MaintenanceService>();
        builder.Services.AddSingleton<ClusterService>();
        builder.Services.AddSingleton<WatchService>();
        builder.Services.AddSingleton<LeaseService>();
        builder.Services.AddSingleton<AuthService>();
        builder.Services.AddSingleton<LockService>();
        builder.Services.AddSingleton<ElectionService>();

        var app = builder.Build();
        // etcd's AuthInfoFromTLS: only with --client-cert-auth does a client certificate's CN name a user.
        if (options.ClientTls.ClientCertAuth) app.Use(ClientCommonName.Middleware);
        app.MapGrpcService<KvService>();
        app.MapGrpcService<MaintenanceService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<AuthService>();
        app.MapGrpcService<LockService>();
        app.MapGrpcService<ElectionService>();
        return app;
    }

    /// <summary>etcd: 0 disables keep-alive pings. Kestrel: MaxValue disables, and values under 1 s are rejected.</summary>
    private static TimeSpan KeepAlive(TimeSpan value) =>
        value <= TimeSpan.Zero ? TimeSpan.MaxValue : value < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : value;

    /// <summary>
    /// Replaces the host's console lifetime: the node owns SIGINT/SIGTERM (<see cref="ShutdownSignals"/>) so
    /// that it stops Kestrel and then the actor system, in that order, and logs the way etcd does.
    /// </summary>
    private sealed class SignalOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
