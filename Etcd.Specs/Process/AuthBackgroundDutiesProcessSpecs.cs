using System.Globalization;
using System.Text.RegularExpressions;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// What a member does on its own, with auth on: the compactor (`--auto-compaction-mode revision`) and the corruption
/// monitor (`--experimental-corrupt-check-time`) propose and ask without a caller's token, and must neither be refused
/// nor need one. Three processes with auth enabled: the leader compacts by itself, then a tampered member is found and
/// CORRUPT raised, and a root client sees etcd's errors for both.
/// </summary>
public sealed partial class AuthBackgroundDutiesProcessSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private const int Retention = 5;
    private readonly TempDir _dir = new("auth-background");
    private ProcessCluster? _cluster;

    [GeneratedRegex(@"Finished auto-compaction at revision (\d+)")]
    private static partial Regex Finished();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Auto_compaction_and_the_corruption_monitor_work_with_auth_enabled()
    {
        // The compactor's check interval shortened to 1 s (etcd's is 5 minutes), as AutoCompactionProcessSpecs does.
        var conf = Path.Combine(_dir.Path, "compactor.conf");
        await File.WriteAllTextAsync(conf, "etcd.compactor.revision-check-interval = 1s\n");
        _cluster = ProcessCluster.Create(_dir, 3, "--config-file", conf, "--auto-compaction-mode", "revision",
            "--auto-compaction-retention", Retention.ToString(CultureInfo.InvariantCulture), "--experimental-corrupt-check-time", "1s");
        await _cluster.StartAsync();
        var leader = await _cluster.LeaderAsync(); // Status needs root once auth is on
        var endpoint = _cluster[leader].Endpoint;
        await AuthSetup.EnableWithAliceAsync(endpoint, ["readwrite", "k", "--prefix"]);
        var asRoot = new[] { "--user", $"root:{AuthSetup.RootPassword}" };

        using var channel = GrpcChannel.ForAddress(endpoint);
        var root = AuthSetup.Token(await AuthSetup.LoginAsync(channel, "root", AuthSetup.RootPassword));
        var kv = new KV.KVClient(channel);
        long last = 0;
        for (var i = 0; i < 20; i++)
            last = (await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("k" + (i % 3)), Value = ByteString.CopyFromUtf8("v" + i) }, root)).Header.Revision;

        // The leader's compactor proposes last - retention at a check after the last put (it may compact lower ones first).
        var compacted = await WaitForAsync(() => _cluster.Members.SelectMany(m => Finished().Matches(m.Output))
            .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max() >= last - Retention, "auto-compaction");
        Assert.True(compacted);
        var below = await Etcdctl.RunAsync(endpoint, ["get", "k0", "--rev", "2", .. asRoot]);
        Assert.Contains("Error: etcdserver: mvcc: required revision has been compacted", below.Stderr);
        output.WriteLine($"compacted below {last - Retention} with auth on; etcdctl as root at revision 2: {below.Stderr.Trim()}");

        // A member whose file was tampered with while it was stopped: the leader's next round raises CORRUPT.
        var f = (leader + 1) % 3;
        var follower = _cluster[f];
        Assert.Equal(0, await follower.StopAsync());
        CorruptionCheckProcessSpecs.Tamper(follower);
        await follower.StartAsync();
        await WaitForAsync(async () => (await Etcdctl.RunAsync(endpoint, ["alarm", "list", .. asRoot])).Stdout.Trim() == "alarm:CORRUPT",
            "the leader raises CORRUPT");
        var put = await Etcdctl.RunAsync(endpoint, ["put", "k9", "x", .. asRoot]);
        Assert.Contains("Error: etcdserver: corrupt cluster", put.Stderr);
        // Without a user the alarm list is refused, as etcd 3.4.43's: the monitor's own calls needed none.
        var anonymous = await Etcdctl.RunAsync(endpoint, "alarm", "list");
        Assert.Contains("etcdserver: user name is empty", anonymous.Stderr);
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, string what) =>
        await WaitForAsync(() => Task.FromResult(condition()), what);

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {Bound.TotalSeconds} s: {what}");
            await Task.Delay(200); // polling logs and etcdctl, bounded above
        }
        return true;
    }
}
