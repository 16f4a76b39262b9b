using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Watch and Lease requests no CLI makes on their own, sent over raw gRPC to etcd 3.4 and to Etcd.Node (one member
/// each): what each answers, with revisions relative to a put just before (both start empty, but other specs of the
/// class write too), must be the same.
/// </summary>
public sealed class WatchLeaseRpcSideBySideSpecs(SideBySideFixture fixture, ITestOutputHelper output) : IClassFixture<SideBySideFixture>
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private sealed record Api(KV.KVClient Kv, Etcd.Api.Etcdserverpb.Watch.WatchClient Watch, Etcd.Api.Etcdserverpb.Lease.LeaseClient Lease);

    private async Task CompareAsync(Func<Api, string, Task<List<string>>> probe)
    {
        using var etcdChannel = GrpcChannel.ForAddress(fixture.Nodes.Etcd.Endpoint);
        using var oursChannel = GrpcChannel.ForAddress(fixture.Nodes.Ours.Endpoint);
        var prefix = $"p{Guid.NewGuid():N}/";
        var expected = await probe(new Api(new KV.KVClient(etcdChannel), new Etcd.Api.Etcdserverpb.Watch.WatchClient(etcdChannel), new Etcd.Api.Etcdserverpb.Lease.LeaseClient(etcdChannel)), prefix);
        var actual = await probe(new Api(new KV.KVClient(oursChannel), new Etcd.Api.Etcdserverpb.Watch.WatchClient(oursChannel), new Etcd.Api.Etcdserverpb.Lease.LeaseClient(oursChannel)), prefix);
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = expected.ElementAtOrDefault(i) ?? "(nothing)";
            var a = actual.ElementAtOrDefault(i) ?? "(nothing)";
            output.WriteLine($"etcd: {e}\nours: {a}");
            Assert.True(e == a, $"step {i}\nexpected (etcd 3.4): {e}\nactual (Etcd.Node): {a}");
        }
    }

    private static string Show(WatchResponse r, long @base) =>
        $"id={r.WatchId} created={r.Created} canceled={r.Canceled} reason='{r.CancelReason}' compact={Rel(r.CompactRevision, @base)} rev={Rel(r.Header?.Revision ?? 0, @base)} events=[" +
        string.Join(", ", r.Events.Select(e => $"{e.Type} {e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()}@{Rel(e.Kv.ModRevision, @base)} lease={(e.Kv.Lease != 0)} prev={(e.PrevKv is null ? "-" : e.PrevKv.Value.ToStringUtf8() + "@" + Rel(e.PrevKv.ModRevision, @base) + " lease=" + (e.PrevKv.Lease != 0))}")) + "]";

    private static string Rel(long rev, long @base) => rev == 0 ? "0" : $"B{rev - @base:+0;-0;+0}";

    private static async Task<WatchResponse?> NextAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try { return await call.ResponseStream.MoveNext(cts.Token) ? call.ResponseStream.Current : null; }
        catch (RpcException e) when (OwnCancel.Caused(e, cts.Token)) { return null; }
    }

    [Fact]
    public Task Unknown_cancel_future_start_half_close_and_progress_are_answered_as_etcd_does() => CompareAsync(async (api, p) =>
    {
        var seen = new List<string>();
        var @base = (await api.Kv.PutAsync(new PutRequest { Key = B(p + "base"), Value = B("0") })).Header.Revision;
        using var call = api.Watch.Watch();
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B(p + "a"), StartRevision = @base + 3, PrevKv = true } });
        seen.Add("create from B+3: " + Show((await NextAsync(call, TimeSpan.FromSeconds(10)))!, @base));
        // Canceling an id that does not exist: etcd answers nothing; the progress answer comes next.
        await call.RequestStream.WriteAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = 99 } });
        await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
        seen.Add("cancel 99, then progress: " + Show((await NextAsync(call, TimeSpan.FromSeconds(10)))!, @base));
        for (var i = 1; i <= 4; i++) await api.Kv.PutAsync(new PutRequest { Key = B(p + "a"), Value = B($"v{i}") });
        // The client closes its side: etcd keeps sending the watch's events.
        await call.RequestStream.CompleteAsync();
        await api.Kv.PutAsync(new PutRequest { Key = B(p + "a"), Value = B("after-close") });
        var events = 0;
        while (events < 3 && await NextAsync(call, TimeSpan.FromSeconds(10)) is { } r)
        {
            seen.Add("after: " + Show(r, @base));
            events += r.Events.Count;
        }
        return seen;
    });

    [Fact]
    public Task A_revocation_reaches_prev_kv_and_nodelete_watchers_and_headers_carry_etcds_revisions() => CompareAsync(async (api, p) =>
    {
        var seen = new List<string>();
        var @base = (await api.Kv.PutAsync(new PutRequest { Key = B(p + "base"), Value = B("0") })).Header.Revision;
        using var call = api.Watch.Watch();
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B(p + "k"), RangeEnd = B(p + "l"), PrevKv = true, WatchId = 1 } });
        seen.Add("prev_kv watcher: " + Show((await NextAsync(call, TimeSpan.FromSeconds(10)))!, @base));
        var noDelete = new WatchCreateRequest { Key = B(p + "k"), RangeEnd = B(p + "l"), WatchId = 2 };
        noDelete.Filters.Add(WatchCreateRequest.Types.FilterType.Nodelete);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = noDelete });
        seen.Add("nodelete watcher: " + Show((await NextAsync(call, TimeSpan.FromSeconds(10)))!, @base));

        var grant = await api.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });
        seen.Add($"grant: ttl={grant.TTL} rev={Rel(grant.Header.Revision, @base)} error='{grant.Error}'");
        await api.Kv.PutAsync(new PutRequest { Key = B(p + "k1"), Value = B("a"), Lease = grant.ID });
        await api.Kv.PutAsync(new PutRequest { Key = B(p + "k2"), Value = B("b"), Lease = grant.ID });
        var ttl = await api.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID, Keys = true });
        seen.Add($"time-to-live: granted={ttl.GrantedTTL} keys={string.Join(',', ttl.Keys.Select(k => k.ToStringUtf8()[p.Length..]).Order(StringComparer.Ordinal))} rev={Rel(ttl.Header.Revision, @base)}");
        var leases = await api.Lease.LeaseLeasesAsync(new LeaseLeasesRequest());
        seen.Add($"leases: has it={leases.Leases.Any(l => l.ID == grant.ID)} rev={Rel(leases.Header.Revision, @base)}");
        var revoke = await api.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID });
        seen.Add($"revoke: rev={Rel(revoke.Header.Revision, @base)}");
        var byWatcher = new SortedDictionary<long, List<string>>();
        var events = 0;
        while (events < 6 && await NextAsync(call, TimeSpan.FromSeconds(10)) is { } r)
        {
            if (!byWatcher.TryGetValue(r.WatchId, out var list)) byWatcher[r.WatchId] = list = [];
            list.Add(Show(r, @base));
            events += r.Events.Count;
        }
        // The two watchers' responses may interleave differently; each one's own are in order.
        foreach (var (id, list) in byWatcher) seen.AddRange(list.Select(s => $"watcher {id}: {s}"));
        await call.RequestStream.CompleteAsync();
        var after = await api.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID, Keys = true });
        seen.Add($"time-to-live after revoke: ttl={after.TTL} granted={after.GrantedTTL} keys={after.Keys.Count}");
        return seen;
    });

    [Fact]
    public Task Keep_alives_of_several_leases_on_one_stream_are_answered_in_order() => CompareAsync(async (api, p) =>
    {
        var seen = new List<string>();
        var a = await api.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 40 });
        var b = await api.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 50 });
        using var call = api.Lease.LeaseKeepAlive();
        foreach (var id in new[] { a.ID, b.ID, 4242L, a.ID })
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var r = call.ResponseStream.Current;
            seen.Add($"{(r.ID == a.ID ? "A" : r.ID == b.ID ? "B" : r.ID.ToString(System.Globalization.CultureInfo.InvariantCulture))} ttl={r.TTL}");
        }
        seen.Add("stream ended: " + call.GetStatus().StatusCode);
        // Revoking a lease without keys writes nothing to the key space: the revision stays where it was.
        var @base = (await api.Kv.PutAsync(new PutRequest { Key = B(p + "base"), Value = B("0") })).Header.Revision;
        seen.Add("revoke A: rev=" + Rel((await api.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = a.ID })).Header.Revision, @base));
        seen.Add("revoke B: rev=" + Rel((await api.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = b.ID })).Header.Revision, @base));
        seen.Add("next put: rev=" + Rel((await api.Kv.PutAsync(new PutRequest { Key = B(p + "base"), Value = B("1") })).Header.Revision, @base));
        return seen;
    });
}
