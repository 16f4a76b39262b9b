using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// The Watch RPC's requests on one stream of a real process, as etcd 3.4 answers them: client-chosen and generated
/// watch ids, etcd's refusals, cancel, filters, RequestProgress, and fragments of a response larger than the limit.
/// </summary>
public sealed class WatchRpcSpecs : IAsyncLifetime
{
    private readonly TempDir _dir = new("etcd-watch-rpc");
    private NodeProcess _node = null!;
    private GrpcChannel _channel = null!;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public async Task InitializeAsync()
    {
        // A small request limit, so that fragmenting starts at 1 KiB + etcd's 512 KiB of gRPC overhead.
        _node = new NodeProcess(_dir.Sub("data"), extraArgs: ["--max-request-bytes", "1024"]);
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
    public async Task Ids_refusals_cancel_filters_and_progress_are_answered_as_etcd_does()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var kv = new KV.KVClient(_channel);
        using var call = new Etcd.Api.Etcdserverpb.Watch.WatchClient(_channel).Watch(cancellationToken: cts.Token);
        async Task<WatchResponse> Ask(WatchRequest r)
        {
            await call.RequestStream.WriteAsync(r);
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            return call.ResponseStream.Current;
        }
        WatchRequest Create(string key, long id = 0, string end = "", params WatchCreateRequest.Types.FilterType[] filters)
        {
            var c = new WatchCreateRequest { Key = B(key), RangeEnd = B(end), WatchId = id };
            c.Filters.AddRange(filters);
            return new WatchRequest { CreateRequest = c };
        }

        var chosen = await Ask(Create("a", id: 7));
        Assert.True(chosen is { Created: true, Canceled: false, WatchId: 7 });
        var dup = await Ask(Create("a", id: 7));
        Assert.True(dup is { Created: true, Canceled: true, WatchId: -1 });
        Assert.Equal("mvcc: duplicate watch ID provided on the WatchStream", dup.CancelReason);
        var empty = await Ask(Create("b", end: "a"));
        Assert.True(empty is { Created: true, Canceled: true, WatchId: -1 });
        Assert.Equal("mvcc: watcher range is empty", empty.CancelReason);
        Assert.Equal(0, (await Ask(Create("a"))).WatchId);
        var noPut = await Ask(Create("a", filters: WatchCreateRequest.Types.FilterType.Noput));
        Assert.Equal(1, noPut.WatchId);

        var canceled = await Ask(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = 7 } });
        Assert.True(canceled is { Canceled: true, WatchId: 7 });

        var put = await kv.PutAsync(new PutRequest { Key = B("a"), Value = B("1") });
        var del = await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("a") });
        var seen = new List<(long Id, string Type, long Rev)>();
        while (seen.Count < 3)
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            var r = call.ResponseStream.Current;
            Assert.NotEqual(7, r.WatchId);
            Assert.NotEqual(0UL, r.Header.ClusterId);
            Assert.NotEqual(0UL, r.Header.RaftTerm);
            seen.AddRange(r.Events.Select(e => (r.WatchId, e.Type.ToString(), e.Kv.ModRevision)));
        }
        Assert.Contains((0L, "Put", put.Header.Revision), seen);
        Assert.Contains((0L, "Delete", del.Header.Revision), seen);
        Assert.Contains((1L, "Delete", del.Header.Revision), seen);
        Assert.DoesNotContain((1L, "Put", put.Header.Revision), seen);

        var progress = await Ask(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
        Assert.True(progress is { WatchId: -1, Created: false, Canceled: false });
        Assert.Empty(progress.Events);
        Assert.Equal(del.Header.Revision, progress.Header.Revision);
    }

    [Fact]
    public async Task A_response_over_the_limit_is_fragmented_only_for_a_watcher_that_asked()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var kv = new KV.KVClient(_channel);
        var value = ByteString.CopyFrom(new byte[900]);
        long last = 0;
        for (var i = 0; i < 800; i++) last = (await kv.PutAsync(new PutRequest { Key = B($"f/{i}"), Value = value })).Header.Revision;
        var first = last - 799;

        async Task<List<WatchResponse>> CatchUp(bool fragment)
        {
            using var call = new Etcd.Api.Etcdserverpb.Watch.WatchClient(_channel).Watch(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = B("f/"), RangeEnd = B("f0"), StartRevision = first, Fragment = fragment },
            });
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            Assert.True(call.ResponseStream.Current.Created);
            var got = new List<WatchResponse>();
            while (got.Sum(r => r.Events.Count) < 800)
            {
                Assert.True(await call.ResponseStream.MoveNext(cts.Token));
                got.Add(call.ResponseStream.Current);
            }
            return got;
        }

        var whole = await CatchUp(fragment: false);
        Assert.All(whole, r => Assert.False(r.Fragment));
        Assert.Contains(whole, r => r.CalculateSize() > 1024 + 512 * 1024); // big enough to need fragments
        var parts = await CatchUp(fragment: true);
        Assert.Contains(parts, r => r.Fragment);
        Assert.False(parts[^1].Fragment);
        Assert.All(parts, r => Assert.True(r.CalculateSize() < 1024 + 512 * 1024 + 2000, $"a fragment of {r.CalculateSize()} bytes"));
        Assert.Equal(whole.SelectMany(r => r.Events), parts.SelectMany(r => r.Events));
    }
}
