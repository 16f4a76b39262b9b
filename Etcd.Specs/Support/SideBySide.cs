using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Support;

/// <summary>
/// Etcd.Node and the real etcd 3.4, each a fresh single member, for specs that run the same etcdctl steps against
/// both and expect the same output: exit code, stdout (the endpoint, member/cluster ids and the raft term masked: the
/// two listen on different ports and etcd bootstraps its log differently) and etcdctl's "Error:" lines (its JSON logs
/// carry timestamps).
/// </summary>
public sealed class SideBySide : IAsyncDisposable
{
    private readonly TempDir _dir;

    private SideBySide(TempDir dir)
    {
        _dir = dir;
        Ours = new NodeProcess(dir.Sub("ours"));
        Etcd = NodeProcess.Reference(dir.Sub("etcd"));
    }

    public NodeProcess Ours { get; }

    /// <summary>The real etcd 3.4 (<see cref="NodeProcess.Reference"/>).</summary>
    public NodeProcess Etcd { get; }

    public static async Task<SideBySide> StartAsync(string dirPrefix)
    {
        var pair = new SideBySide(new TempDir(dirPrefix));
        try
        {
            await Task.WhenAll(pair.Ours.StartAsync(), pair.Etcd.StartAsync());
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs each step (stdin or null, etcdctl's arguments) on etcd, then on ours, and asserts both printed the same.</summary>
    public async Task AssertSameOutputAsync(IEnumerable<(string? Stdin, string[] Args)> steps, ITestOutputHelper output)
    {
        foreach (var (stdin, args) in steps)
        {
            var expected = Normalize(await Etcdctl.RunWithStdinAsync(Etcd.Endpoint, stdin, args), Etcd);
            var actual = Normalize(await Etcdctl.RunWithStdinAsync(Ours.Endpoint, stdin, args), Ours);
            var step = "etcdctl " + string.Join(' ', args.Select(a => a.Length > 40 ? a[..10] + "…" : a));
            output.WriteLine($"{step}\n  etcd: {expected}\n  ours: {actual}");
            Assert.True(expected == actual, $"{step}\nexpected (etcd 3.4): {expected}\nactual (Etcd.Node): {actual}");
        }
    }

    private static string Normalize(Etcdctl.Result r, NodeProcess node)
    {
        var stdout = r.Stdout.Replace($"127.0.0.1:{node.ClientPort}", "ENDPOINT", StringComparison.Ordinal);
        stdout = Regex.Replace(stdout, "\"(cluster_id|member_id|raft_term)\":[0-9]+", "\"$1\":_");
        var errors = string.Join('\n', r.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        return $"exit={r.ExitCode} out=[{stdout.TrimEnd()}] err=[{errors}]";
    }

    public async ValueTask DisposeAsync()
    {
        await Ours.DisposeAsync();
        await Etcd.DisposeAsync();
        _dir.Dispose();
    }
}
