using System.Globalization;
using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;

namespace Etcd.Node.Hosting;

/// <summary>
/// etcd 3.4's start-up lines, in its words, so scripts and harnesses that wait for etcd's milestones work
/// unchanged. <see cref="Ready"/> is written only once the member has a leader and Kestrel is listening.
/// </summary>
public static class StartupLog
{
    public static void Configuration(Capnslog log, RunNode run)
    {
        var s = run.Settings;
        log.Info("etcdmain", $"etcd Version: {Usage.EtcdVersion}");
        log.Info("etcdmain", $"Etcd.Actors {typeof(StartupLog).Assembly.GetName().Version} on .NET {Environment.Version}");
        if (!run.Options.DataDirGiven) log.Warning("etcdmain", $"no data-dir provided, using default data-dir ./{s.DataDir}");
        foreach (var warning in run.Warnings)
        {
            // Warnings arrive as "pkg: message" so each keeps the package etcd logs it under.
            var colon = warning.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) log.Warning("etcdmain", warning);
            else log.Warning(warning[..colon], warning[(colon + 2)..]);
        }
        log.Info("embed", $"name = {s.Name}");
        log.Info("embed", $"data dir = {s.DataDir}");
        log.Info("embed", $"member dir = {s.MemberDir}");
        log.Info("embed", $"heartbeat = {s.Raft.TickInterval.TotalMilliseconds}ms");
        log.Info("embed", $"election = {s.Raft.ElectionTimeout.TotalMilliseconds}ms");
        log.Info("embed", $"snapshot count = {s.Raft.SnapshotCount}");
        log.Info("embed", $"advertise client URLs = {string.Join(',', s.AdvertiseClientUrls)}");
    }

    public static void Ready(Capnslog log, EtcdServer server, NodeOptions options)
    {
        var s = server.Settings;
        log.Info("etcdserver", $"started member {Hex(server.MemberId)} in cluster {Hex(server.ClusterId)}");
        log.Info("etcdserver", $"published {{Name:{s.Name} ClientURLs:[{string.Join(' ', s.AdvertiseClientUrls)}]}} to cluster {Hex(server.ClusterId)}");
        log.Info("etcdserver/api", "enabled capabilities for version 3.4");
        log.Info("embed", "ready to serve client requests");
        foreach (var url in options.ListenClientUrls)
        {
            if (ClientTlsOptions.IsHttps(url)) log.Info("embed", $"serving client requests on {ClientListeners.Resolve(url).Shown}");
            else log.Notice("embed", $"serving insecure client requests on {ClientListeners.Resolve(url).Shown}, this is strongly discouraged!");
        }
    }

    /// <summary>etcd prints IDs as lower-case hex without padding (types.ID.String()).</summary>
    public static string Hex(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);
}
