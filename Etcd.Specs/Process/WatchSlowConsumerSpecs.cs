using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Watch streams whose client stops reading, on one real process: writes go on at full speed (the member buffers a
/// bounded amount per stream, then the watchers become victims that hold nothing), and once the client reads again
/// it gets every event exactly once, in order; a stalled watcher whose history was compacted meanwhile is canceled
/// with compact_revision instead.
/// </summary>
public sealed class WatchSlowConsumerSpecs(ITestOutputHelper output)
{
    private const int Writes = 4000;
    private static readonly ByteString Value = ByteString.CopyFrom(new byte[8 * 1024]);

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task A_stalled_stream_blocks_no_write_and_then_catches_up_or_is_canceled_clearly()
    {
        using var dir = new TempDir("etcd-watch-slow");
        await using var node = new NodeProcess(dir.Sub("data"));
        await node.StartAsync();
        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var first = (await kv.PutAsync(new PutRequest { Key = B("s/start"), Value = B("x") })).Header.Revision;

        // Two streams on their own connections, created, then never read while the writes run.
        using var ch1 = GrpcChannel.ForAddress(node.Endpoint);
        using var ch2 = GrpcChannel.ForAddress(node.Endpoint);
        var stalled = await OpenAsync(new Etcd.Api.Etcdserverpb.Watch.WatchClient(ch1), cts.Token);
        var compacted = await OpenAsync(new Etcd.Api.Etcdserverpb.Watch.WatchClient(ch2), cts.Token);

        var started = DateTime.UtcNow;
        var next = 0;
        var writers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i <= Writes)
                await kv.PutAsync(new PutRequest { Key = B($"s/{i % 50}"), Value = Value }, cancellationToken: cts.Token);
        });
        await Task.WhenAll(writers);
        var took = DateTime.UtcNow - started;
        var last = (await kv.PutAsync(new PutRequest { Key = B("s/end"), Value = B("x") })).Header.Revision;
        output.WriteLine($"{Writes} puts of 8 KiB with two stalled watch streams: {took.TotalSeconds:F1} s");
        Assert.True(took < TimeSpan.FromSeconds(120), $"writes took {took}");

        // The first stream reads now: every revision after its start exactly once, in order.
        var revs = new List<long>();
        while (revs.Count == 0 || revs[^1] < last)
        {
            Assert.True(await stalled.ResponseStream.MoveNext(cts.Token));
            var r = stalled.ResponseStream.Current;
            Assert.False(r.Canceled, r.CancelReason);
            revs.AddRange(r.Events.Select(e => e.Kv.ModRevision));
        }
        Assert.Equal(Enumerable.Range((int)first + 1, (int)(last - first)).Select(x => (long)x), revs);
        output.WriteLine($"first stream: all {revs.Count} events once the client read again");

        // The second one is still stalled when its history is compacted away.
        await kv.CompactAsync(new CompactionRequest { Revision = last });

        // The second one too: an exact prefix, then either the rest or compact_revision and canceled.
        var got = new List<long>();
        var canceled = false;
        while (!canceled && (got.Count == 0 || got[^1] < last))
        {
            Assert.True(await compacted.ResponseStream.MoveNext(cts.Token));
            var r = compacted.ResponseStream.Current;
            if (r.Canceled)
            {
                Assert.Equal(last, r.CompactRevision);
                canceled = true;
            }
            got.AddRange(r.Events.Select(e => e.Kv.ModRevision));
        }
        Assert.Equal(Enumerable.Range((int)first + 1, got.Count).Select(x => (long)x), got);
        output.WriteLine($"second stream: {got.Count} events, {(canceled ? "then canceled with compact_revision" : "all of them")}");
        cts.Cancel();
    }

    private static async Task<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>> OpenAsync(Etcd.Api.Etcdserverpb.Watch.WatchClient client, CancellationToken ct)
    {
        var call = client.Watch(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("s/"), RangeEnd = B("s0") } });
        Assert.True(await call.ResponseStream.MoveNext(ct));
        Assert.True(call.ResponseStream.Current.Created);
        return call;
    }
}
