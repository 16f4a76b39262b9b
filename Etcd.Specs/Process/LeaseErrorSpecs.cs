using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Lease requests etcdctl cannot make (client-chosen ids, 0 and negative ids and TTLs), sent over gRPC to the real
/// etcd 3.4 and to Etcd.Node: the same status and message, or the same answer (id, TTL, found or not).
/// </summary>
public sealed class LeaseErrorSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private SideBySide _nodes = null!;

    public async Task InitializeAsync() => _nodes = await SideBySide.StartAsync("lease-errors");

    public async Task DisposeAsync()
    {
        if (_nodes is not null) await _nodes.DisposeAsync();
    }

    [Fact]
    public async Task Ids_ttls_and_unknown_leases_get_what_etcd_answers()
    {
        using var etcdChannel = GrpcChannel.ForAddress(_nodes.Etcd.Endpoint);
        using var oursChannel = GrpcChannel.ForAddress(_nodes.Ours.Endpoint);
        var etcd = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(etcdChannel);
        var ours = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(oursChannel);
        var steps = new (string Name, Func<Etcd.Api.Etcdserverpb.Lease.LeaseClient, Task<string>> Run)[]
        {
            ("grant id 77", c => Grant(c, 77, 30)),
            ("grant id 77 again", c => Grant(c, 77, 30)),
            ("grant id -5", c => Grant(c, -5, 30)),
            ("grant id -5 again", c => Grant(c, -5, 30)),
            ("grant negative ttl", c => Grant(c, 78, -3)),
            ("grant too large ttl", c => Grant(c, 79, 9_000_000_001)),
            ("grant largest ttl", c => Grant(c, 80, 9_000_000_000)),
            ("time-to-live -5", c => TimeToLive(c, -5)),
            ("time-to-live 12345", c => TimeToLive(c, 12345)),
            ("keep-alive -5", c => KeepAlive(c, -5)),
            ("keep-alive 12345", c => KeepAlive(c, 12345)),
            ("revoke -5", c => Revoke(c, -5)),
            ("revoke -5 again", c => Revoke(c, -5)),
            ("revoke 0", c => Revoke(c, 0)),
            ("revoke 12345", c => Revoke(c, 12345)),
        };
        foreach (var (name, run) in steps)
        {
            var expected = await run(etcd);
            var actual = await run(ours);
            output.WriteLine($"{name}\n  etcd: {expected}\n  ours: {actual}");
            Assert.True(expected == actual, $"{name}\nexpected (etcd 3.4): {expected}\nactual (Etcd.Node): {actual}");
        }
    }

    private static Task<string> Grant(Etcd.Api.Etcdserverpb.Lease.LeaseClient c, long id, long ttl) =>
        Call(async () =>
        {
            var r = await c.LeaseGrantAsync(new LeaseGrantRequest { ID = id, TTL = ttl });
            return $"id={r.ID} ttl={r.TTL} error='{r.Error}'";
        });

    private static Task<string> Revoke(Etcd.Api.Etcdserverpb.Lease.LeaseClient c, long id) =>
        Call(async () =>
        {
            await c.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id });
            return "revoked";
        });

    private static Task<string> TimeToLive(Etcd.Api.Etcdserverpb.Lease.LeaseClient c, long id) =>
        Call(async () =>
        {
            var r = await c.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = true });
            return $"id={r.ID} ttl={(r.TTL > 0 ? "positive" : r.TTL.ToString(System.Globalization.CultureInfo.InvariantCulture))} granted={r.GrantedTTL} keys={r.Keys.Count}";
        });

    private static Task<string> KeepAlive(Etcd.Api.Etcdserverpb.Lease.LeaseClient c, long id) =>
        Call(async () =>
        {
            using var call = c.LeaseKeepAlive();
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var r = call.ResponseStream.Current;
            await call.RequestStream.CompleteAsync();
            return $"id={r.ID} ttl={r.TTL}";
        });

    private static async Task<string> Call(Func<Task<string>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            return $"{e.StatusCode}: {e.Status.Detail}";
        }
    }
}
