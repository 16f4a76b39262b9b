using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>
/// LeaseGrant(TTL) with a server-chosen ID. The IDs granted are kept so <see cref="CleanupAsync"/> can
/// revoke them: otherwise thousands of leases would expire a TTL later, in the middle of whatever the
/// next benchmark run measures (an expiry is a revoke through Raft on either server).
/// </summary>
public sealed class LeaseGrantWorkload(BenchOptions o) : Workload
{
    private readonly LeaseGrantRequest _request = new() { TTL = o.Ttl };
    private readonly long[] _granted = new long[o.Total];

    public override string Description => $"lease-grant ttl={o.Ttl}";

    public override async Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct)
    {
        using var call = ctx.Conn.Lease.LeaseGrantAsync(_request, cancellationToken: ct);
        var r = await call.ResponseAsync.ConfigureAwait(false);
        if (!string.IsNullOrEmpty(r.Error) || r.ID == 0)
        {
            throw new BenchCheckException($"lease grant answered ID {r.ID} error '{r.Error}'");
        }
        _granted[index] = r.ID;
    }

    public override Task<string?> CleanupAsync(Runner runner) =>
        LeaseOps.RevokeAllAsync(runner, o, _granted.Where(id => id != 0).ToArray());
}

/// <summary>
/// As etcd's <c>benchmark lease-keepalive</c>: leases are granted before the clock starts, then each
/// worker owns one LeaseKeepAlive stream and sends one request, waits for its response, and so on.
/// Request i keeps lease i mod --leases alive. A response must name the same lease with a TTL above
/// zero (TTL 0 is etcd's "lease not found" on this stream), otherwise it counts as an error.
/// </summary>
public sealed class LeaseKeepAliveWorkload(BenchOptions o) : Workload
{
    private long[] _leases = [];

    public override string Description => $"lease-keepalive leases={o.Leases} ttl={o.Ttl}";

    public override async Task<string?> PrepareAsync(Runner runner)
    {
        var (ids, error) = await LeaseOps.GrantAsync(runner, o, o.Leases).ConfigureAwait(false);
        _leases = ids;
        return error;
    }

    public override void InitWorker(WorkerContext ctx) => ctx.State = ctx.Conn.Lease.LeaseKeepAlive();

    public override async Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct)
    {
        // A stream that failed is reopened for the next request (the failure was counted already).
        var call = ctx.State as AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse>
            ?? (AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse>)(ctx.State = ctx.Conn.Lease.LeaseKeepAlive());
        long id = _leases[index % _leases.Length];
        try
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, ct).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
            {
                throw new BenchCheckException("keep-alive stream ended by the server");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            call.Dispose();
            ctx.State = null;
            throw;
        }
        var r = call.ResponseStream.Current;
        if (r.ID != id || r.TTL <= 0)
        {
            throw new BenchCheckException($"keep-alive of lease {id} answered ID {r.ID} TTL {r.TTL}");
        }
    }

    public override async Task EndWorkerAsync(WorkerContext ctx)
    {
        if (ctx.State is AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call)
        {
            try
            {
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                // The stream is being torn down anyway.
            }
            call.Dispose();
            ctx.State = null;
        }
    }

    public override Task<string?> CleanupAsync(Runner runner) => LeaseOps.RevokeAllAsync(runner, o, _leases);
}
