using System.Text.RegularExpressions;
using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The same etcdctl session against the real etcd 3.4 and against Etcd.Node must print the same thing:
/// values, revisions, versions, errors. Only member/cluster ids and the raft term are masked, since the
/// two processes listen on different ports and etcd bootstraps its log differently.
/// </summary>
public sealed class ConformanceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new("etcd-conformance");
    private NodeProcess _ours = null!;
    private NodeProcess _etcd = null!;

    // Each step: stdin (or null) and etcdctl arguments.
    private static readonly (string? Stdin, string[] Args)[] Session =
    [
        (null, ["put", "foo", "bar"]),
        (null, ["put", "foo", "baz", "--prev-kv"]),
        (null, ["get", "foo", "-w", "json"]),
        (null, ["put", "a", "1"]),
        (null, ["put", "ab", "2"]),
        (null, ["put", "abc", "3"]),
        (null, ["put", "b", "4"]),
        (null, ["put", "c", "0"]),
        (null, ["get", "a", "--prefix"]),
        (null, ["get", "a", "--from-key"]),
        (null, ["get", "", "--from-key", "--keys-only"]),
        (null, ["get", "a", "c"]),
        (null, ["get", "a", "--prefix", "--limit", "2", "-w", "json"]),
        (null, ["get", "", "--from-key", "--sort-by", "VALUE", "--order", "DESCEND"]),
        (null, ["get", "", "--from-key", "--sort-by", "MODIFY", "--order", "ASCEND", "--limit", "3"]),
        (null, ["get", "", "--from-key", "--sort-by", "CREATE", "--order", "DESCEND", "--keys-only"]),
        (null, ["get", "", "--from-key", "--sort-by", "VERSION", "--order", "DESCEND", "--keys-only"]),
        (null, ["get", "foo", "--rev", "2"]),
        (null, ["get", "foo", "--rev", "1"]),
        (null, ["get", "foo", "--print-value-only"]),
        (null, ["get", "nothing"]),
        (null, ["del", "ab", "--prev-kv"]),
        (null, ["del", "nothing"]),
        (null, ["del", "a", "--prefix", "-w", "json"]),
        (null, ["put", "foo", "--ignore-value"]),
        (null, ["put", "missing", "--ignore-value"]),
        ("mod(\"foo\") > \"0\"\nval(\"foo\") = \"baz\"\n\nput foo qux\nget foo\n\nput foo never\n\n", ["txn", "-w", "json"]),
        ("val(\"foo\") = \"nope\"\n\nput foo never\n\nget foo\nput other x\n\n", ["txn"]),
        ("ver(\"foo\") < \"100\"\nc(\"b\") != \"0\"\nlease(\"c\") = \"0\"\n\ndel b\n\n\n", ["txn"]),
        (null, ["get", "", "--from-key", "-w", "json"]),
        (null, ["compaction", "5"]),
        (null, ["get", "foo", "--rev", "3"]),
        (null, ["get", "foo", "--rev", "5"]),
        (null, ["get", "foo", "--rev", "1000"]),
        (null, ["compaction", "4"]),
        (null, ["compaction", "1000"]),
        (null, ["compaction", "--physical", "7"]),
        (null, ["get", "", "--from-key", "-w", "json"]),
    ];

    public async Task InitializeAsync()
    {
        _ours = new NodeProcess(_dir.Sub("ours"));
        _etcd = NodeProcess.Reference(_dir.Sub("etcd"));
        await Task.WhenAll(_ours.StartAsync(), _etcd.StartAsync());
    }

    public async Task DisposeAsync()
    {
        await _ours.DisposeAsync();
        await _etcd.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Etcdctl_session_prints_what_etcd_prints()
    {
        foreach (var (stdin, args) in Session)
        {
            var expected = await Etcdctl.RunWithStdinAsync(_etcd.Endpoint, stdin, args);
            var actual = await Etcdctl.RunWithStdinAsync(_ours.Endpoint, stdin, args);
            var step = "etcdctl " + string.Join(' ', args);
            output.WriteLine($"{step}\n  etcd: {Normalize(expected)}\n  ours: {Normalize(actual)}");
            Assert.True(Normalize(expected) == Normalize(actual),
                $"{step}\nexpected (etcd 3.4): {Normalize(expected)}\nactual (Etcd.Node): {Normalize(actual)}");
        }
    }

    /// <summary>Exit code, stdout with ids and term masked, and etcdctl's "Error:" lines (its JSON logs carry timestamps).</summary>
    private static string Normalize(Etcdctl.Result r)
    {
        var stdout = Regex.Replace(r.Stdout, "\"(cluster_id|member_id|raft_term)\":[0-9]+", "\"$1\":_");
        var errors = string.Join('\n', r.Stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        return $"exit={r.ExitCode} out=[{stdout.TrimEnd()}] err=[{errors}]";
    }
}
