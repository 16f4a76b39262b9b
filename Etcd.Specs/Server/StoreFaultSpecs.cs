using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Server;

/// <summary>
/// A whole member (real journal, real SQLite backend) whose backend is made to fail through
/// <see cref="SqliteBackend.InjectFaults"/>: transient SQLite errors (busy, I/O, full disk) under a write load
/// cost a store restart each and nothing else, while a backend that cannot commit at all stops the member with
/// its reason (the host then exits 1).
/// </summary>
public sealed class StoreFaultSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    // SQLite's primary result codes, as a real disk produces them.
    private const int SqliteBusy = 5, SqliteIoErr = 10, SqliteFull = 13;

    private readonly TempDir _dir = new("etcd-store-faults");
    private EtcdServerSettings _settings = null!;
    private EtcdNode _node = null!;

    public async Task InitializeAsync()
    {
        _settings = SingleMember.Settings(_dir);
        _node = await SingleMember.StartAsync(_settings);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private static PutRequest Put(string key, string value) => new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };

    [Fact]
    public async Task Transient_sqlite_errors_under_a_write_load_do_not_take_the_member_down_and_lose_nothing()
    {
        var seed = Environment.GetEnvironmentVariable("STORE_FAULT_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        output.WriteLine($"STORE_FAULT_SEED={seed}");
        var rng = new Random(seed);
        // Six faults, two of each kind, each after a random run of good commits.
        int[] codes = [SqliteBusy, SqliteIoErr, SqliteFull, SqliteBusy, SqliteIoErr, SqliteFull];
        var gaps = codes.Select(_ => rng.Next(10, 30)).ToArray();
        var commits = 0;
        var injected = 0;
        var allInjected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nextAt = gaps[0];
        using var faults = SqliteBackend.InjectFaults(_settings.BackendPath, op =>
        {
            // Called on the store's thread only, one commit at a time.
            if (op != "commit" || injected == codes.Length || ++commits < nextAt) return null;
            var code = codes[injected++];
            if (injected < codes.Length) nextAt = commits + gaps[injected];
            else allInjected.TrySetResult();
            return new SqliteException($"injected SQLite error {code}", code);
        });

        var acked = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"sf/{w}/{n:D6}";
                await PutUntilAcknowledged(key, $"{w}-{n}", TimeSpan.FromSeconds(60));
                acked[key] = $"{w}-{n}";
            }
        })).ToArray();

        await allInjected.Task.WaitAsync(TimeSpan.FromSeconds(120));
        // The member serves on after the last fault: a good number of writes succeed after it.
        var ackedAtLastFault = acked.Count;
        await WaitUntil(() => acked.Count >= ackedAtLastFault + 100, TimeSpan.FromSeconds(60));
        stop.Cancel();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(_node.Failed.IsCompleted, _node.Failed.IsCompleted ? await _node.Failed : "");
        var all = await _node.Server.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("sf/"), RangeEnd = ByteString.CopyFromUtf8("sf0") });
        var stored = all.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8());
        foreach (var (key, value) in acked)
            Assert.True(stored.TryGetValue(key, out var v) && v == value, $"acknowledged {key}={value} is {(v is null ? "missing" : v)}");
        output.WriteLine($"{acked.Count} puts acknowledged, {injected} faults injected in {commits} commits");
    }

    [Fact]
    public async Task A_backend_that_cannot_commit_at_all_stops_the_member_with_its_reason()
    {
        await _node.Server.PutAsync(Put("dead/a", "1"));
        using var faults = SqliteBackend.InjectFaults(_settings.BackendPath, op =>
            op == "commit" ? new SqliteException("injected disk I/O error", SqliteIoErr) : null);

        // The put's entry is committed in the journal but can never be applied.
        await Assert.ThrowsAsync<EtcdException>(() => _node.Server.PutAsync(Put("dead/b", "2")));

        var reason = await _node.Failed.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Contains("mvcc store failed 10 times without applying anything", reason);
        Assert.Contains("injected disk I/O error", reason);
        var refused = await Assert.ThrowsAsync<EtcdException>(() => _node.Server.PutAsync(Put("dead/c", "3")));
        Assert.Equal(EtcdErrors.Stopped, refused.Error);
    }

    /// <summary>Retries a put through every error a restarting member gives (no leader, stopped, timed out).</summary>
    private async Task PutUntilAcknowledged(string key, string value, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        while (true)
        {
            try
            {
                await _node.Server.PutAsync(Put(key, value));
                return;
            }
            catch (EtcdException e) when (e.Error.Code == EtcdErrorCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(20);
        }
    }
}
