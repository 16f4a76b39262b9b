using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The real etcdctl's watch against the real etcd 3.4 and against Etcd.Node: the same writes, the same output from
/// `watch foo`, `watch --prefix --prev-kv`, `watch --rev N`, an interactive `watch -i`, and the compacted cancel.
/// </summary>
public sealed class WatchConformanceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private SideBySide _nodes = null!;

    public async Task InitializeAsync() => _nodes = await SideBySide.StartAsync("etcd-watch-conformance");

    public async Task DisposeAsync()
    {
        if (_nodes is not null) await _nodes.DisposeAsync();
    }

    [Fact]
    public async Task Etcdctl_watch_prints_what_etcd_prints()
    {
        var expected = await SessionAsync(_nodes.Etcd);
        var actual = await SessionAsync(_nodes.Ours);
        foreach (var (name, lines) in actual) output.WriteLine($"{name}:\n  {string.Join("\n  ", lines)}");
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var name in expected.Keys) Assert.True(expected[name].SequenceEqual(actual[name]),
            $"{name}\nexpected (etcd 3.4):\n{string.Join('\n', expected[name])}\nactual (Etcd.Node):\n{string.Join('\n', actual[name])}");
    }

    /// <summary>One session on <paramref name="node"/>; returns each watch's output.</summary>
    private static async Task<Dictionary<string, string[]>> SessionAsync(NodeProcess node)
    {
        var ep = node.Endpoint;
        async Task Ctl(string? stdin, params string[] args) => (await Etcdctl.RunWithStdinAsync(ep, stdin, args)).EnsureSuccess();

        await Ctl(null, "put", "foo", "a");   // 2
        await Ctl(null, "put", "foo", "b");   // 3
        await using var plain = EtcdctlWatch.Start(ep, false, "foo");
        await using var prefix = EtcdctlWatch.Start(ep, false, "--prefix", "f", "--prev-kv");
        await using var fromRev = EtcdctlWatch.Start(ep, false, "foo", "--rev", "2");
        await using var interactive = EtcdctlWatch.Start(ep, true);
        await interactive.SendLineAsync("watch foo --rev 3");
        // `watch foo` starts at the next revision once its watcher exists, which etcdctl does not print: put until it
        // sees one, and keep what follows.
        await Ctl(null, "put", "ready", "x");
        for (var i = 0; !plain.Stdout.Contains("go"); i++)
        {
            await Ctl(null, "put", "foo", "go");
            if (i > 50) throw new TimeoutException("etcdctl watch foo never saw a put");
            await Task.Delay(100);
        }
        await Ctl(null, "put", "foo", "c");
        await Ctl(null, "del", "foo");
        await Ctl(null, "put", "fa", "x");
        // etcdctl txn reads compares, success ops and failure ops, each list ended by an empty line.
        await Ctl("\nput foo t1\nput fb t2\n\n\n", "txn");
        await Ctl(null, "put", "foo", "end");
        foreach (var w in new[] { plain, fromRev, interactive }) await w.WaitForAsync("end");
        await prefix.WaitForAsync("end");

        // Before the compaction test: compact, then a watch from below it is canceled and etcdctl exits.
        await Ctl(null, "compaction", "4");
        var compacted = await Etcdctl.RunAsync(ep, "watch", "foo", "--rev", "3");

        return new Dictionary<string, string[]>
        {
            ["watch foo"] = AfterLastGo(plain.Stdout),
            ["watch --prefix f --prev-kv"] = AfterLastGo(prefix.Stdout),
            ["watch foo --rev 2"] = AfterLastGo(fromRev.Stdout),
            ["watch -i, watch foo --rev 3"] = AfterLastGo(interactive.Stdout),
            ["watch foo --rev 3 after compaction 4"] =
                [$"exit={compacted.ExitCode}", compacted.Stdout.Trim(), .. compacted.Stderr.Split('\n').Where(l => l.StartsWith("watch was canceled", StringComparison.Ordinal) || l.StartsWith("Error:", StringComparison.Ordinal))],
        };
    }

    // The events from the scenario's first write on ("put foo c"): how many "go" puts `watch foo` needed differs by run.
    private static string[] AfterLastGo(IReadOnlyList<string> lines)
    {
        var last = -1;
        for (var i = 0; i < lines.Count; i++) if (lines[i] == "go") last = i;
        return lines.Skip(last + 1).ToArray();
    }
}
