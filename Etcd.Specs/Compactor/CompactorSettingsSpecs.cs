using Akka.Configuration;
using Etcd.Actors.Compactor;
using Etcd.Actors.Compactor.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Compactor;

/// <summary>
/// --auto-compaction-mode/-retention read as etcd 3.4's parseCompactionRetention reads them (messages checked
/// against etcd 3.4.23's own: `etcd --auto-compaction-retention abc` prints
/// `error parsing CompactionRetention: time: invalid duration "abc"`), and --experimental-compaction-batch-limit.
/// </summary>
public sealed class CompactorSettingsSpecs
{
    private static CompactorSettings Read(string hocon) => EtcdServerSettings.Create(ConfigurationFactory.ParseString(hocon)).Compactor;

    [Theory]
    [InlineData("periodic", "0", false, 0, 0)]
    [InlineData("periodic", "1", true, 3600, 0)]
    [InlineData("periodic", "72", true, 72 * 3600, 0)]
    [InlineData("periodic", "30m", true, 1800, 0)]
    [InlineData("periodic", "1.5h", true, 5400, 0)]
    [InlineData("periodic", "0s", false, 0, 0)]
    [InlineData("revision", "0", false, 0, 0)]
    [InlineData("revision", "1000", true, 0, 1000)]
    // etcd reads a duration in revision mode as its nanoseconds.
    [InlineData("revision", "1s", true, 0, 1_000_000_000)]
    public void Retention_is_hours_or_revisions_when_a_number_else_a_go_duration(string mode, string retention, bool enabled, long seconds, long revisions)
    {
        var s = Read($"etcd.auto-compaction-mode = {mode}\netcd.auto-compaction-retention = \"{retention}\"");
        Assert.Equal(enabled, s.Auto.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(seconds), s.Auto.Period);
        Assert.Equal(revisions, s.Auto.Revisions);
    }

    [Theory]
    [InlineData("periodic", "abc", "error parsing CompactionRetention: time: invalid duration \"abc\"")]
    [InlineData("periodic", "-5", "error parsing CompactionRetention: time: missing unit in duration \"-5\"")]
    [InlineData("periodic", "1.5", "error parsing CompactionRetention: time: missing unit in duration \"1.5\"")]
    [InlineData("revision", "5x", "error parsing CompactionRetention: time: unknown unit \"x\" in duration \"5x\"")]
    [InlineData("daily", "1", "unknown auto-compaction-mode \"daily\"")]
    public void A_bad_mode_or_retention_gets_etcds_message(string mode, string retention, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Read($"etcd.auto-compaction-mode = {mode}\netcd.auto-compaction-retention = \"{retention}\""));
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(5, 5)]
    [InlineData(0, 1000)] // etcd's NewStore takes 0 as its default
    public void The_batch_limit_is_the_flag_and_zero_is_etcds_default(int flag, int expected)
    {
        Assert.Equal(expected, MvccSettings.Create(ConfigurationFactory.ParseString($"etcd.experimental-compaction-batch-limit = {flag}")).CompactionBatchLimit);
    }

    [Fact]
    public void A_negative_batch_limit_is_refused_naming_the_flag()
    {
        var ex = Assert.Throws<ArgumentException>(() => MvccSettings.Create(ConfigurationFactory.ParseString("etcd.experimental-compaction-batch-limit = -1")));
        Assert.Contains("etcd.experimental-compaction-batch-limit must be at least 0, got -1", ex.Message);
    }

    [Fact]
    public void The_defaults_are_etcds()
    {
        var s = EtcdServerSettings.Default;
        Assert.Equal(CompactionMode.Periodic, s.Compactor.Auto.Mode);
        Assert.False(s.Compactor.Auto.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(5), s.Compactor.RevisionCheckInterval);
        Assert.Equal(1000, s.Mvcc.CompactionBatchLimit);
    }
}
