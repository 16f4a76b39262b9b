using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;
using Etcd.Node.Tls;

namespace Etcd.Node.Hosting;

/// <summary>
/// One member's life: start the actor system (returns once a leader is known) while the gRPC host is built, then Kestrel, then log
/// "ready"; on SIGINT/SIGTERM stop Kestrel first (no new requests), then dispose the node (outstanding
/// requests fail with "server stopped"), and exit 0. A failure to start exits 1 with one line.
/// </summary>
public static class NodeRunner
{
    /// <summary>How long in-flight requests get to finish once Kestrel stops accepting.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(RunNode run)
    {
        var log = new Capnslog(run.Options.LogToStdout ? Console.Out : Console.Error, run.Options.LogLevel);
        StartupLog.Configuration(log, run);
        ClientTlsServer? tls;
        try
        {
            // Before the member starts, as etcd: a missing certificate, CA or CRL file stops it with nothing served.
            tls = ClientTlsServer.Create(run.Options.ClientTls, run.Settings.DataDir, run.Options.ListenClientUrls, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
                                       or InvalidOperationException or ArgumentException or System.Formats.Asn1.AsnContentException)
        {
            log.Write('C', "etcdmain", $"cannot set up client TLS: {OneLine(e)}");
            return 1;
        }
        PeerTlsSettings? peerTls;
        try
        {
            peerTls = PeerTlsSetup.Create(run.Options.PeerTls, run.Settings.DataDir, run.Settings.ListenPeerUrls, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
                                       or InvalidOperationException or ArgumentException or System.Formats.Asn1.AsnContentException)
        {
            log.Write('C', "etcdmain", $"cannot set up peer TLS: {OneLine(e)}");
            return 1;
        }
        Etcd.Actors.Auth.JwtTokens? jwt;
        try
        {
            // Before the member starts, as etcd's NewServer: a bad --auth-token stops it with etcd's three lines.
            jwt = Etcd.Actors.Auth.AuthTokenSetup.Create(run.Settings.AuthToken, warning => log.Warning("auth", warning));
        }
        catch (Etcd.Actors.Auth.Core.TokenSetupException e)
        {
            if (e.Detail is { } detail) log.Error("auth", detail);
            log.Warning("etcdserver", $"failed to create token provider,err is {e.Message}");
            log.Write('C', "etcdmain", e.Message);
            return 1;
        }
        using var signals = new ShutdownSignals(log);
        CapnslogAkkaLogger.Target = log;
        var settings = run.Settings with
        {
            PeerTls = peerTls,
            Jwt = jwt,
            ExtraHocon = run.Settings.ExtraHocon is { } extra ? extra + "\n" + CapnslogAkkaLogger.Hocon : CapnslogAkkaLogger.Hocon,
        };

        // The member (ActorSystem, journal recovery, election) and the gRPC host are built in parallel: both
        // are mostly JIT work on a cold start. Kestrel starts listening only once the member is ready.
        var nodeTask = Task.Run(() => EtcdNode.StartAsync(settings, signals.Stopping));
        WebApplication? app = null;
        Exception? buildError = null;
        try
        {
            app = GrpcHost.Build(nodeTask.ContinueWith(t => t.Result.Server, TaskScheduler.Default), settings, run.Options, tls, log);
        }
        catch (Exception e)
        {
            buildError = e;
        }

        EtcdNode node;
        try
        {
            node = await nodeTask;
        }
        catch (OperationCanceledException) when (signals.Stopping.IsCancellationRequested)
        {
            if (app is not null) await app.DisposeAsync();
            return 0;
        }
        catch (CorruptionDetectedException e)
        {
            // etcd 3.4: plog.Fatalf("%v", err) → "C | etcdmain: <id> found data inconsistency with peers", exit 1.
            log.Write('C', "etcdmain", e.Message);
            if (app is not null) await app.DisposeAsync();
            return 1;
        }
        catch (Exception e)
        {
            log.Error("etcdmain", $"cannot start member: {OneLine(e)}");
            if (app is not null) await app.DisposeAsync();
            return 1;
        }

        try
        {
            if (buildError is not null) throw buildError;
            await app!.StartAsync(signals.Stopping);
        }
        catch (Exception e)
        {
            if (!signals.Stopping.IsCancellationRequested) log.Error("etcdmain", $"cannot serve clients: {OneLine(e)}");
            if (app is not null) await app.DisposeAsync();
            await node.DisposeAsync();
            return signals.Stopping.IsCancellationRequested ? 0 : 1;
        }

        StartupLog.Ready(log, node.Server, run.Options);
        // SIGINT or SIGTERM, or the cluster removed this member: either way an orderly stop and exit 0, as etcd.
        // A member that failed (its store gave up) stops the same orderly way but exits 1.
        var stopped = await Task.WhenAny(Task.Delay(Timeout.Infinite, signals.Stopping), node.Removed, node.Failed);
        if (stopped == node.Removed) log.Warning("etcdserver", "the member has been permanently removed from the cluster");
        if (stopped == node.Failed) log.Error("etcdserver", $"the member cannot continue: {node.Failed.Result}");

        using (var drain = new CancellationTokenSource(DrainTimeout))
        {
            await app.StopAsync(drain.Token);
        }
        await app.DisposeAsync();
        await node.DisposeAsync();
        return stopped == node.Failed ? 1 : 0;
    }

    private static string OneLine(Exception e) => (e.InnerException is { } inner && e is AggregateException ? inner : e).Message.ReplaceLineEndings(" ");
}
