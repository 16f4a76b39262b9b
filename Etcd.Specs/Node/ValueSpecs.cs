using System.Net;
using Etcd.Actors.Configuration;
using Etcd.Node.Configuration;
using Etcd.Node.Hosting;
using Etcd.Node.Logging;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>The small translators: Go durations, client URL binding, capnslog lines, HOCON quoting.</summary>
public sealed class ValueSpecs
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("100ms", 100)]
    [InlineData("5s", 5_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2500us", 2.5)]
    public void Go_durations_parse_as_go_parses_them(string text, double ms)
    {
        Assert.True(GoDurations.TryParse(text, out var value, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 s")]
    [InlineData("5d")]
    [InlineData("s")]
    [InlineData("99999999999999999999999999999h")] // beyond decimal: Go's "invalid duration", not an exception
    public void Bad_go_durations_are_rejected(string text)
    {
        Assert.False(GoDurations.TryParse(text, out _, out _));
    }

    [Theory]
    [InlineData("http://localhost:2379", ClientListeners.BindKind.Localhost, "127.0.0.1:2379")]
    [InlineData("http://127.0.0.1:12379", ClientListeners.BindKind.Address, "127.0.0.1:12379")]
    [InlineData("http://10.1.2.3:2379", ClientListeners.BindKind.Address, "10.1.2.3:2379")]
    [InlineData("http://[::1]:2379", ClientListeners.BindKind.Address, "[::1]:2379")]
    [InlineData("http://0.0.0.0:2379", ClientListeners.BindKind.Any, "[::]:2379")]
    [InlineData("http://[::]:2379", ClientListeners.BindKind.Any, "[::]:2379")]
    [InlineData("http://:2379", ClientListeners.BindKind.Any, "[::]:2379")]
    public void Client_urls_bind_exactly_the_host_given(string url, ClientListeners.BindKind kind, string shown)
    {
        var endpoint = ClientListeners.Resolve(url);
        Assert.Equal(kind, endpoint.Kind);
        Assert.Equal(IPEndPoint.Parse(shown), endpoint.Shown);
    }

    [Fact]
    public void Capnslog_lines_have_etcds_shape_and_honour_the_level()
    {
        var info = new StringWriter();
        new Capnslog(info, "info").Info("embed", "ready to serve client requests");
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} I \| embed: ready to serve client requests\r?\n$", info.ToString());

        var warn = new StringWriter();
        var log = new Capnslog(warn, "warn");
        log.Info("embed", "hidden");
        log.Notice("embed", "hidden too");
        log.Warning("etcdmain", "shown");
        Assert.Matches(@"^\S+ \S+ W \| etcdmain: shown\r?\n$", warn.ToString());
    }

    [Fact]
    public void Member_and_cluster_ids_print_as_etcd_prints_them()
    {
        Assert.Equal("8e9e05c52164694d", StartupLog.Hex(0x8e9e05c52164694d));
        Assert.Equal("a", StartupLog.Hex(10));
    }

    [Fact]
    public void Hocon_strings_survive_quotes_backslashes_and_newlines()
    {
        const string nasty = "a\"b\\c\nd${x}";
        var config = HoconValues.ToConfig(new Dictionary<string, object> { ["name"] = nasty, ["cors"] = new[] { "x,y", "z" } });
        Assert.Equal(nasty, config.GetString("etcd.name"));
        Assert.Equal(["x,y", "z"], config.GetStringList("etcd.cors"));
    }
}
