using Etcd.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// The same etcdctl session against the real etcd 3.4 and against Etcd.Node must print the same thing:
/// values, revisions, versions, errors (compared as <see cref="SideBySide"/> says).
/// </summary>
public sealed class ConformanceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private SideBySide _nodes = null!;

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

    public async Task InitializeAsync() => _nodes = await SideBySide.StartAsync("etcd-conformance");

    public async Task DisposeAsync()
    {
        if (_nodes is not null) await _nodes.DisposeAsync(); // null when the start failed
    }

    [Fact]
    public Task Etcdctl_session_prints_what_etcd_prints() => _nodes.AssertSameOutputAsync(Session, output);
}
