using System.Text.RegularExpressions;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// A real Etcd.Node started with `--auto-compaction-mode revision --auto-compaction-retention 10` compacts by itself
/// (its check interval shortened to 1 s through a HOCON config file, etcd.compactor.revision-check-interval; etcd's is
/// 5 minutes), and the real etcdctl sees etcd's errors below the compaction and can compact further by hand.
/// Awaits the member's own log lines, with a bound; no fixed sleep.
/// </summary>
public sealed partial class AutoCompactionProcessSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"Finished auto-compaction at revision (\d+)")]
    private static partial Regex Finished();

    [Fact]
    public async Task A_member_with_revision_retention_compacts_by_itself_and_etcdctl_sees_etcds_errors()
    {
        using var dir = new TempDir("auto-compaction");
        var conf = Path.Combine(dir.Path, "compactor.conf");
        await File.WriteAllTextAsync(conf, "etcd.compactor.revision-check-interval = 1s\n");
        await using var node = new NodeProcess(Path.Combine(dir.Path, "data"), extraArgs:
            ["--config-file", conf, "--auto-compaction-mode", "revision", "--auto-compaction-retention", "10", "--experimental-compaction-batch-limit", "7"]);
        await node.StartAsync();

        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        long last = 0;
        for (var i = 0; i < 40; i++)
            last = (await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("k" + (i % 3)), Value = ByteString.CopyFromUtf8("v" + i) })).Header.Revision;
        Assert.Equal(41, last);

        // The leader's compactor proposes current - 10 at its next check; wait for the line that says it was applied.
        var compacted = await WaitForAsync(node, () => Finished().Matches(node.Output).Select(m => long.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max(), r => r == last - 10);
        output.WriteLine($"auto-compacted to {compacted}");
        Assert.Contains($"Starting auto-compaction at revision {compacted} (retention: 10 revisions)", node.Output);
        await WaitForAsync(node, () => node.Output.Contains($"finished scheduled compaction at {compacted}"), done => done);

        var below = await Etcdctl.RunAsync(node.Endpoint, "get", "k0", "--rev", "2");
        Assert.NotEqual(0, below.ExitCode);
        Assert.Contains("Error: etcdserver: mvcc: required revision has been compacted", below.Stderr);
        var again = await Etcdctl.RunAsync(node.Endpoint, "compaction", compacted.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("Error: etcdserver: mvcc: required revision has been compacted", again.Stderr);
        var future = await Etcdctl.RunAsync(node.Endpoint, "compaction", "1000");
        Assert.Contains("Error: etcdserver: mvcc: required revision is a future revision", future.Stderr);
        var atCompaction = await Etcdctl.RunAsync(node.Endpoint, "get", "k0", "--rev", compacted.ToString(System.Globalization.CultureInfo.InvariantCulture), "--print-value-only");
        Assert.Equal(0, atCompaction.ExitCode);

        // By hand, as etcd: further than the compactor went.
        var byHand = (await Etcdctl.RunAsync(node.Endpoint, "compaction", (last - 2).ToString(System.Globalization.CultureInfo.InvariantCulture))).EnsureSuccess();
        Assert.Equal($"compacted revision {last - 2}", byHand.Stdout.Trim());
        var latest = (await Etcdctl.RunAsync(node.Endpoint, "get", "k0", "--print-value-only")).EnsureSuccess();
        Assert.Equal("v39", latest.Stdout.Trim());
    }

    private static async Task<T> WaitForAsync<T>(NodeProcess node, Func<T> read, Func<T, bool> done)
    {
        var until = DateTime.UtcNow + Bound;
        while (true)
        {
            var v = read();
            if (done(v)) return v;
            if (DateTime.UtcNow > until) throw new TimeoutException($"not seen within {Bound}; last value {v}:\n{node.Output}");
            await Task.Delay(100); // polling the member's log, bounded above
        }
    }
}
