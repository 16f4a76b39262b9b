using System.Diagnostics;
using System.Net.Http;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>The put load of the watch command: each put's send tick, answer tick, revision and connection.</summary>
public sealed record WatchPuts(long[] SendTicks, long[] AckTicks, long[] Revisions, bool[] Ok, int[] Conns, long StartTick, long EndTick, bool TimedOut);

public sealed partial class Runner
{
    /// <summary>
    /// Closed loop like <see cref="RunAsync"/> (--clients workers over the --conns connections, --total
    /// puts), but keeps per put the tick it was sent at, the tick its answer arrived at and the revision
    /// the server gave it, which the watch analysis matches to the events. Failures are counted as usual.
    /// </summary>
    public async Task<WatchPuts> RunWatchPutsAsync(PutRequest[] requests, CancellationToken ct)
    {
        int n = requests.Length;
        var send = new long[n];
        var ack = new long[n];
        var revs = new long[n];
        var ok = new bool[n];
        var conns = new int[n];
        int next = -1;
        long start = Stopwatch.GetTimestamp();
        var workers = new Task[_o.Clients];
        for (int w = 0; w < workers.Length; w++)
        {
            int conn = w % _clients.Length;
            var client = _clients[conn];
            workers[w] = Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < n && !ct.IsCancellationRequested; i = Interlocked.Increment(ref next))
                {
                    try
                    {
                        conns[i] = conn;
                        send[i] = Stopwatch.GetTimestamp();
                        using var call = client.PutAsync(requests[i], cancellationToken: ct);
                        var r = await call.ResponseAsync.ConfigureAwait(false);
                        ack[i] = Stopwatch.GetTimestamp();
                        revs[i] = r.Header.Revision;
                        ok[i] = true;
                    }
                    catch (Exception e) when (ct.IsCancellationRequested && e is RpcException or OperationCanceledException)
                    {
                        return;
                    }
                    catch (RpcException e)
                    {
                        RecordError($"{e.StatusCode}: {e.Status.Detail}");
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
                    {
                        RecordError($"{e.GetType().Name}: {e.Message}");
                    }
                }
            });
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        long end = Stopwatch.GetTimestamp();
        return new WatchPuts(send, ack, revs, ok, conns, start, end, Volatile.Read(ref next) < n || ct.IsCancellationRequested);
    }
}
