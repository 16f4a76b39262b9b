using Etcd.Actors.Server;
using Etcd.Node.Hosting;
using Etcd.Node.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>The client port's host as <see cref="GrpcHost.Build"/> configures it (built, never started).</summary>
public sealed class GrpcHostSpecs
{
    [Fact]
    public async Task Hosting_s_per_request_diagnostics_are_off_so_no_request_starts_an_activity()
    {
        // ASP.NET Core starts an Activity and a log scope for each request while this logger is enabled at any level
        // (HostingApplicationDiagnostics.BeginRequest asks IsEnabled(Critical)); it only ever logs at Information.
        var run = NodeConfig.Run("--listen-client-urls", "http://127.0.0.1:0", "--advertise-client-urls", "http://127.0.0.1:0");
        await using var app = GrpcHost.Build(new TaskCompletionSource<EtcdServer>().Task, run.Settings, run.Options, null,
            new Capnslog(TextWriter.Null, "info"));
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger(GrpcHost.HostingDiagnosticsCategory).IsEnabled(LogLevel.Critical));
        // The rest of ASP.NET Core still reports its warnings (e.g. Kestrel's).
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
    }
}
