using Xunit;

namespace Etcd.Specs.Node;

/// <summary>ETCD_&lt;FLAG&gt; variables, as etcd's pkg/flags reads them.</summary>
public sealed class EnvironmentSpecs
{
    [Fact]
    public void Every_flag_can_come_from_its_etcd_variable()
    {
        var run = NodeConfig.Run([], new()
        {
            ["ETCD_NAME"] = "envname",
            ["ETCD_DATA_DIR"] = "/var/lib/etcd",
            ["ETCD_SNAPSHOT_COUNT"] = "7",
            ["ETCD_LISTEN_CLIENT_URLS"] = "http://127.0.0.1:12379",
            ["ETCD_ADVERTISE_CLIENT_URLS"] = "http://127.0.0.1:12379",
            ["ETCD_GRPC_KEEPALIVE_TIMEOUT"] = "3s",
            ["ETCD_DEBUG"] = "true",
        });
        Assert.Equal("envname", run.Settings.Name);
        Assert.Equal("/var/lib/etcd", run.Settings.DataDir);
        Assert.Equal(7, run.Settings.Raft.SnapshotCount);
        Assert.Equal(["http://127.0.0.1:12379"], run.Options.ListenClientUrls);
        Assert.Equal(TimeSpan.FromSeconds(3), run.Options.KeepAliveTimeout);
        Assert.Equal("debug", run.Settings.LogLevel);
        Assert.True(run.Options.DataDirGiven);
    }

    [Fact]
    public void A_flag_wins_over_its_variable_and_etcd_warns_about_the_shadowed_variable()
    {
        var run = NodeConfig.Run(["--snapshot-count", "9"], new() { ["ETCD_SNAPSHOT_COUNT"] = "7" });
        Assert.Equal(9, run.Settings.Raft.SnapshotCount);
        Assert.Contains("pkg/flags: recognized environment variable ETCD_SNAPSHOT_COUNT, but unused: shadowed by corresponding flag", run.Warnings);
    }

    [Fact]
    public void A_variable_that_matches_no_flag_is_warned_about_and_other_variables_are_ignored()
    {
        var run = NodeConfig.Run([], new() { ["ETCD_NAMEE"] = "x", ["ETCDCTL_API"] = "3", ["PATH"] = "/bin" });
        Assert.Equal(["pkg/flags: unrecognized environment variable ETCD_NAMEE=x"], run.Warnings);
    }

    [Fact]
    public void A_bad_value_in_a_variable_fails_naming_the_variable()
    {
        Assert.Equal("invalid value \"abc\" for ETCD_HEARTBEAT_INTERVAL: parse error",
            NodeConfig.Fails([], new() { ["ETCD_HEARTBEAT_INTERVAL"] = "abc" }));
    }

    [Fact]
    public void A_refused_feature_is_refused_from_the_environment_too()
    {
        Assert.Contains("--enable-v2=true is not supported", NodeConfig.Fails([], new() { ["ETCD_ENABLE_V2"] = "true" }));
    }

    [Fact]
    public void The_config_file_can_come_from_ETCD_CONFIG_FILE()
    {
        var run = NodeConfig.Run([], new() { ["ETCD_CONFIG_FILE"] = "/etc/etcd.yml" }, new() { ["/etc/etcd.yml"] = "snapshot-count: 11" });
        Assert.Equal(11, run.Settings.Raft.SnapshotCount);
    }
}
