using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>Untimed lease set-up and tidy-up, --clients requests at a time over the runner's connections.</summary>
public static class LeaseOps
{
    /// <summary>Time bound of a set-up or tidy-up phase (it is not measured, but must not hang the run).</summary>
    private static TimeSpan PhaseTimeout(BenchOptions o) => TimeSpan.FromSeconds(Math.Max(30, o.DialTimeoutSeconds));

    /// <summary>Grants <paramref name="count"/> leases of --ttl; returns their IDs, or an error message.</summary>
    public static async Task<(long[] Ids, string? Error)> GrantAsync(Runner runner, BenchOptions o, int count)
    {
        var ids = new long[count];
        string? error = null;
        await ForEachAsync(runner, o, count, async (conn, i, ct) =>
        {
            try
            {
                var r = await conn.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = o.Ttl }, cancellationToken: ct).ConfigureAwait(false);
                ids[i] = r.ID;
            }
            catch (RpcException e)
            {
                Interlocked.CompareExchange(ref error, $"granting the leases to keep alive failed: {e.StatusCode}: {e.Status.Detail}", null);
            }
        }).ConfigureAwait(false);
        if (error is null && ids.Any(id => id == 0))
        {
            error = $"granting the leases to keep alive: only {ids.Count(id => id != 0)} of {count} granted within {PhaseTimeout(o).TotalSeconds}s";
        }
        return (ids, error);
    }

    /// <summary>Revokes the leases; returns a one-line note of what happened.</summary>
    public static async Task<string?> RevokeAllAsync(Runner runner, BenchOptions o, long[] ids)
    {
        if (ids.Length == 0)
        {
            return null;
        }
        long revoked = 0, failed = 0;
        string? firstError = null;
        await ForEachAsync(runner, o, ids.Length, async (conn, i, ct) =>
        {
            try
            {
                await conn.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = ids[i] }, cancellationToken: ct).ConfigureAwait(false);
                Interlocked.Increment(ref revoked);
            }
            catch (RpcException e) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
            }
        }).ConfigureAwait(false);
        return $"(after the run: revoked {revoked} of {ids.Length} leases{(failed > 0 ? $", {failed} failed, first: {firstError}" : "")})";
    }

    private static async Task ForEachAsync(Runner runner, BenchOptions o, int count, Func<Conn, int, CancellationToken, Task> op)
    {
        using var cts = new CancellationTokenSource(PhaseTimeout(o));
        int next = -1;
        var workers = new Task[Math.Min(o.Clients, count)];
        for (int w = 0; w < workers.Length; w++)
        {
            var conn = runner.Conns[w % runner.Conns.Count];
            workers[w] = Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < count && !cts.IsCancellationRequested; i = Interlocked.Increment(ref next))
                {
                    try
                    {
                        await op(conn, i, cts.Token).ConfigureAwait(false);
                    }
                    catch (RpcException) when (cts.IsCancellationRequested)
                    {
                        return;
                    }
                }
            });
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }
}
