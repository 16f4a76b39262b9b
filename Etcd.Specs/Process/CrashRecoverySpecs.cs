extern alias dotnetetcd;
using System.Collections.Concurrent;
using dotnetetcd::dotnet_etcd;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// kill -9 while the dotnet-etcd client is writing, restart on the same data dir: every acknowledged write
/// is there, with the value and revision it was acknowledged with, and the node keeps serving.
/// </summary>
public sealed class CrashRecoverySpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Acknowledged_writes_survive_kill_9_and_restart()
    {
        using var dir = new TempDir("etcd-crash");
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var node = new NodeProcess(dir.Sub("data"));
        await using var _ = node;
        await node.StartAsync();

        var acked = new ConcurrentDictionary<string, (string Value, long Rev)>();
        using (var client = new EtcdClient(node.Endpoint))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var enoughAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // 16 writers, each at most 2000 puts; keys overwrite each other so versions matter too.
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                var rng = new Random(seed + w);
                for (var i = 0; i < 2000 && !stop.IsCancellationRequested; i++)
                {
                    var key = $"crash/{rng.Next(500)}";
                    var value = $"w{w}-{i}";
                    try
                    {
                        var resp = await client.PutAsync(new dotnetetcd::Etcdserverpb.PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
                            cancellationToken: stop.Token);
                        acked.AddOrUpdate(key, (value, resp.Header.Revision),
                            (_, old) => resp.Header.Revision > old.Rev ? (value, resp.Header.Revision) : old);
                        if (acked.Count >= 300) enoughAcked.TrySetResult();
                    }
                    catch (RpcException)
                    {
                        return; // the node is gone: stop writing
                    }
                }
            })).ToArray();

            await enoughAcked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await node.KillAsync();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        }
        output.WriteLine($"{acked.Count} keys acknowledged before kill -9");

        await node.StartAsync();
        using var channel2 = GrpcChannel.ForAddress(node.Endpoint);
        var kv2 = new KV.KVClient(channel2);
        var all = await kv2.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("crash/"), RangeEnd = ByteString.CopyFromUtf8("crash0") });
        var stored = all.Kvs.ToDictionary(k => k.Key.ToStringUtf8());
        foreach (var (key, (value, rev)) in acked)
        {
            Assert.True(stored.TryGetValue(key, out var kv), $"acknowledged key {key} (rev {rev}) lost after kill -9");
            // A later write may have been applied without its ack reaching us, never an earlier one.
            Assert.True(kv.ModRevision >= rev, $"{key}: mod_revision {kv.ModRevision} < acknowledged {rev}");
            if (kv.ModRevision == rev) Assert.Equal(value, kv.Value.ToStringUtf8());
        }
        Assert.True(all.Header.Revision >= acked.Values.Max(v => v.Rev));

        var after = await kv2.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("crash/after"), Value = ByteString.CopyFromUtf8("x") });
        Assert.Equal(all.Header.Revision + 1, after.Header.Revision);
    }
}
