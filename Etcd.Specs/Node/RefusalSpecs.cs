using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>A feature that is not built is refused with one line and never silently ignored; knobs without meaning here are accepted.</summary>
public sealed class RefusalSpecs
{
    public static TheoryData<string[], string> Refused() => new()
    {
        { ["--client-cert-allowed-hostname", "a.example"], "--client-cert-allowed-hostname=a.example is not supported: client certificate host name checks are not built yet" },
        { ["--listen-client-urls", "unixs://localhost:2379", "--advertise-client-urls", "http://127.0.0.1:2379"], "--listen-client-urls=unixs://localhost:2379 is not supported: unix socket URLs are not built yet (unixs://localhost:2379)" },
        { ["--enable-v2"], "--enable-v2=true is not supported: the v2 API and v2 proxy are out of scope" },
        { ["--proxy", "on"], "--proxy=on is not supported: the v2 API and v2 proxy are out of scope" },
        { ["--discovery", "https://discovery.etcd.io/x"], "--discovery=https://discovery.etcd.io/x is not supported: discovery is not built yet; use --initial-cluster" },
        { ["--discovery-srv", "example.com"], "--discovery-srv=example.com is not supported: discovery is not built yet; use --initial-cluster" },
        { ["--force-new-cluster"], "--force-new-cluster=true is not supported: --force-new-cluster is not built yet" },
        { ["--listen-metrics-urls", "http://127.0.0.1:2381"], "--listen-metrics-urls=http://127.0.0.1:2381 is not supported: the metrics/health listener and /metrics are not built yet" },
        { ["--enable-pprof"], "--enable-pprof=true is not supported: profiling endpoints are not built (use dotnet-trace / dotnet-counters)" },
        { ["--listen-peer-urls", "http://127.0.0.1:2380,http://127.0.0.1:2390"], "--listen-peer-urls=http://127.0.0.1:2380,http://127.0.0.1:2390 is not supported: one peer URL per member is supported (Akka.Remote binds one endpoint)" },
        { ["--initial-cluster", "default=unixs://127.0.0.1:2380"], "--initial-cluster=default=unixs://127.0.0.1:2380 is not supported: unix socket URLs are not built yet (unixs://127.0.0.1:2380)" },
        { ["--listen-peer-urls", "unix://localhost:2380"], "--listen-peer-urls=unix://localhost:2380 is not supported: unix socket URLs are not built yet (unix://localhost:2380)" },
        { ["--wal-dir", "/wal"], "--wal-dir=/wal is not supported: a dedicated WAL directory is not built yet (the Raft journal lives in <data-dir>/member)" },
        { ["--logger", "zap"], "--logger=zap is not supported: zap logging is not built yet; logs are in capnslog format" },
        { ["--log-outputs", "stderr,stdout"], "--log-outputs=stderr,stdout is not supported: multi logoutput for \"capnslog\" is not supported yet" },
        { ["--cors", "http://example.com"], "--cors=http://example.com is not supported: the HTTP/JSON gateway (the only CORS user) is not built yet" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_feature_that_is_not_built_is_refused_with_one_line(string[] args, string message)
    {
        Assert.Equal(message, NodeConfig.Fails(args));
    }

    [Theory]
    [InlineData("--cert-file=")]
    [InlineData("--client-cert-auth=false")]
    [InlineData("--enable-v2=false")]
    [InlineData("--proxy=off")]
    [InlineData("--auth-token=simple")]
    [InlineData("--initial-cluster-state=new")]
    [InlineData("--experimental-watch-progress-notify-interval=10m")]
    [InlineData("--logger=capnslog")]
    [InlineData("--log-outputs=stdout")]
    [InlineData("--cors=*")]
    public void The_default_value_of_a_refused_flag_is_accepted(string arg)
    {
        NodeConfig.Run(arg);
    }

    [Fact]
    public void A_knob_without_meaning_here_is_accepted_with_a_warning_that_says_so()
    {
        var run = NodeConfig.Run("--max-wals", "0", "--experimental-backend-bbolt-freelist-type", "map", "--backend-batch-interval", "10ms");
        Assert.Contains("etcdmain: --max-wals=0 has no effect: the Raft log is a SQLite journal; there are no WAL files to rotate", run.Warnings);
        Assert.Contains("etcdmain: --experimental-backend-bbolt-freelist-type=map has no effect: there is no bbolt; the backend is SQLite", run.Warnings);
        Assert.Contains("etcdmain: --backend-batch-interval=10ms has no effect: the SQLite backend commits once per applied batch", run.Warnings);
        Assert.Equal(3, run.Warnings.Count);
    }

    [Fact]
    public void Every_refused_flag_refuses_some_value_and_every_no_effect_flag_says_why()
    {
        Assert.All(FlagCatalog.All.Where(f => f.Support != FlagSupport.Supported), f => Assert.False(string.IsNullOrWhiteSpace(f.Note), f.Name));
        Assert.All(FlagCatalog.All.Where(f => f.Support == FlagSupport.Refused && f.Kind == FlagKind.Bool),
            f => Assert.NotNull(FeatureGate.Reason(f, !(bool)f.DefaultValue)));
    }

    [Fact]
    public void Library_validation_reaches_the_command_line_as_one_line()
    {
        Assert.Equal("--election-timeout[100ms] should be at least as 5 times as --heartbeat-interval[100ms]",
            NodeConfig.Fails(["--election-timeout", "100"]));
        Assert.Equal("couldn't find local name \"default\" in the initial cluster configuration",
            NodeConfig.Fails(["--initial-cluster", "other=http://127.0.0.1:2380"]));
    }

    [Fact]
    public void Debug_means_log_level_debug_as_in_etcd()
    {
        var run = NodeConfig.Run("--debug");
        Assert.Equal("debug", run.Settings.LogLevel);
        Assert.Equal("debug", run.Options.LogLevel);
        Assert.Equal("warn", NodeConfig.Run("--log-level", "warn").Settings.LogLevel);
        Assert.StartsWith("invalid value \"loud\" for flag -log-level", NodeConfig.Fails(["--log-level", "loud"]));
    }
}
