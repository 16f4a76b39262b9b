using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>Go flag syntax as etcd accepts it, and etcd's wording when it does not.</summary>
public sealed class CommandLineSpecs
{
    [Theory]
    [InlineData("--snapshot-count", "42")]
    [InlineData("-snapshot-count", "42")]
    [InlineData("--snapshot-count=42")]
    [InlineData("-snapshot-count=42")]
    public void A_value_flag_takes_its_value_after_a_space_or_an_equals_sign_with_one_or_two_dashes(params string[] args)
    {
        Assert.Equal(42, NodeConfig.Run(args).Settings.Raft.SnapshotCount);
    }

    [Theory]
    [InlineData(new[] { "--strict-reconfig-check=false" }, false)]
    [InlineData(new[] { "--strict-reconfig-check", "false" }, false)]
    [InlineData(new[] { "--strict-reconfig-check=0" }, false)]
    [InlineData(new[] { "--strict-reconfig-check" }, true)]
    [InlineData(new[] { "--strict-reconfig-check", "F", "--name", "x" }, false)]
    public void A_bool_flag_alone_means_true_and_takes_go_bool_literals(string[] args, bool expected)
    {
        Assert.Equal(expected, CommandLine.Parse(args).Values["strict-reconfig-check"]);
    }

    [Fact]
    public void A_bare_bool_flag_does_not_swallow_the_next_flag()
    {
        var line = CommandLine.Parse(["--debug", "--name", "n1"]);
        Assert.Equal(true, line.Values["debug"]);
        Assert.Equal("n1", line.Values["name"]);
    }

    [Fact]
    public void The_last_occurrence_of_a_flag_wins_as_in_go()
    {
        Assert.Equal("b", NodeConfig.Run("--name", "a", "--name", "b", "--initial-cluster", "b=http://localhost:2380").Settings.Name);
    }

    [Fact]
    public void A_value_may_start_with_a_dash_when_given_after_a_space()
    {
        Assert.Equal("-weird", CommandLine.Parse(["--name", "-weird"]).Values["name"]);
    }

    [Fact]
    public void Url_lists_are_comma_separated_and_sorted_like_etcds_types_urls()
    {
        var run = NodeConfig.Run("--advertise-client-urls", "http://b:2379, http://a:2379");
        Assert.Equal(["http://a:2379", "http://b:2379"], run.Settings.AdvertiseClientUrls);
    }

    [Fact]
    public void An_unknown_flag_fails_with_gos_message()
    {
        Assert.Equal("flag provided but not defined: -foo", NodeConfig.Fails(["--foo"]));
        Assert.Equal("flag provided but not defined: -foo", NodeConfig.Fails(["-foo=1"]));
    }

    [Fact]
    public void A_value_flag_without_a_value_fails()
    {
        Assert.Equal("flag needs an argument: -name", NodeConfig.Fails(["--name"]));
    }

    [Fact]
    public void A_stray_argument_fails_like_etcd()
    {
        Assert.Equal("error verifying flags, 'extra' is not a valid flag. See 'etcd --help'.", NodeConfig.Fails(["--name", "x", "extra"]));
        Assert.Contains("'--name'", NodeConfig.Fails(["--", "--name"]));
    }

    [Theory]
    [InlineData("---name=x", "bad flag syntax: ---name=x")]
    [InlineData("-=x", "bad flag syntax: -=x")]
    public void Malformed_flags_fail_with_gos_bad_flag_syntax(string arg, string message)
    {
        Assert.Equal(message, NodeConfig.Fails([arg]));
    }

    [Theory]
    [InlineData("--snapshot-count", "abc", "invalid value \"abc\" for flag -snapshot-count: parse error")]
    [InlineData("--snapshot-count", "-1", "invalid value \"-1\" for flag -snapshot-count: parse error")]
    [InlineData("--heartbeat-interval", "1.5", "invalid value \"1.5\" for flag -heartbeat-interval: parse error")]
    [InlineData("--quota-backend-bytes", "lots", "invalid value \"lots\" for flag -quota-backend-bytes: parse error")]
    [InlineData("--grpc-keepalive-timeout", "20", "invalid value \"20\" for flag -grpc-keepalive-timeout: parse error")]
    [InlineData("--listen-client-urls", "localhost:2379", "invalid value \"localhost:2379\" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: localhost:2379")]
    [InlineData("--advertise-client-urls", "http://localhost", "invalid value \"http://localhost\" for flag -advertise-client-urls: URL address does not have the form \"host:port\": http://localhost")]
    [InlineData("--advertise-client-urls", "http://localhost:2379/v3", "invalid value \"http://localhost:2379/v3\" for flag -advertise-client-urls: URL must not contain a path: http://localhost:2379/v3")]
    [InlineData("--initial-cluster-state", "old", "invalid value \"old\" for flag -initial-cluster-state: valid values are new, existing")]
    [InlineData("--max-request-bytes", "99999999999", "invalid value \"99999999999\" for flag -max-request-bytes: value out of range")]
    [InlineData("--debug=maybe", null, "invalid boolean value \"maybe\" for -debug: parse error")]
    public void A_bad_value_fails_with_one_line_naming_the_flag(string flag, string? value, string message)
    {
        var failure = NodeConfig.Fails(value is null ? [flag] : [flag, value]);
        Assert.Equal(message, failure);
        Assert.DoesNotContain('\n', failure);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    [InlineData("-help")]
    public void Help_is_recognised_in_every_spelling(string arg)
    {
        Assert.IsType<ShowHelp>(NodeConfig.Load([arg]));
    }

    [Fact]
    public void Version_is_recognised_and_help_lists_every_flag()
    {
        Assert.IsType<ShowVersion>(NodeConfig.Load(["--version"]));
        Assert.IsType<RunNode>(NodeConfig.Load(["--version=false"]));
        Assert.StartsWith("etcd Version: 3.4.23", Usage.Version());
        var help = Usage.Help();
        Assert.All(FlagCatalog.All, f => Assert.Contains($"--{f.Name} '", help));
    }

    [Fact]
    public void Config_file_is_taken_from_the_flag_in_both_forms()
    {
        Assert.Equal("a.yml", CommandLine.Parse(["--config-file", "a.yml"]).ConfigFile);
        Assert.Equal("b.conf", CommandLine.Parse(["-config-file=b.conf"]).ConfigFile);
    }

    [Fact]
    public void The_watch_progress_interval_reaches_the_settings()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), NodeConfig.Run("--experimental-watch-progress-notify-interval", "5s").Settings.WatchProgressNotifyInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), NodeConfig.Run().Settings.WatchProgressNotifyInterval);
    }
}
