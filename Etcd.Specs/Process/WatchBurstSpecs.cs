using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Net.Client;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// The Watch service writes a burst of responses (one per watcher of a stream for one write) without a flush each
/// (gRPC's BufferHint, WatchService.MaxUnflushedResponses): every response of a burst must still reach the client,
/// the last one included, and at once, not with the next burst.
/// </summary>
public sealed class WatchBurstSpecs : IAsyncLifetime
{
    private readonly TempDir _dir = new("etcd-watch-burst");
    private NodeProcess _node = null!;
    private GrpcChannel _channel = null!;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public async Task InitializeAsync()
    {
        _node = new NodeProcess(_dir.Sub("data"));
        await _node.StartAsync();
        _channel = GrpcChannel.ForAddress(_node.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_node is not null) await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Every_response_of_a_burst_arrives_before_the_next_write()
    {
        const int watchers = 50;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var kv = new KV.KVClient(_channel);
        using var call = new Etcd.Api.Etcdserverpb.Watch.WatchClient(_channel).Watch(cancellationToken: cts.Token);

        // The creates are sent without waiting, so their answers are queued together: a burst of their own.
        for (var i = 0; i < watchers; i++)
        {
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = B("burst/"), RangeEnd = B("burst0") },
            });
        }
        var ids = new HashSet<long>();
        while (ids.Count < watchers)
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            var r = call.ResponseStream.Current;
            Assert.True(r is { Created: true, Canceled: false }, r.ToString());
            Assert.True(ids.Add(r.WatchId));
        }

        // One write at a time: its 50 responses must all arrive while nothing else is written. A last response left
        // in the write buffer would only come with the next write's flush, and this wait would time out.
        for (var round = 0; round < 3; round++)
        {
            var put = await kv.PutAsync(new PutRequest { Key = B($"burst/{round}"), Value = B("v") }, cancellationToken: cts.Token);
            var seen = new HashSet<long>();
            while (seen.Count < watchers)
            {
                Assert.True(await call.ResponseStream.MoveNext(cts.Token), $"round {round}: the stream ended after {seen.Count} responses");
                var r = call.ResponseStream.Current;
                var ev = Assert.Single(r.Events);
                Assert.Equal(put.Header.Revision, ev.Kv.ModRevision);
                Assert.True(seen.Add(r.WatchId), $"round {round}: watcher {r.WatchId} answered twice");
            }
            Assert.Subset(ids, seen);
        }
    }
}
