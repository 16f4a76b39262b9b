using System.Diagnostics;
using System.Net.Http;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Etcd.Benchmark;

/// <summary>
/// Opens --conns channels (one HTTP/2 connection each), runs --clients workers over them
/// round-robin, and records one latency per successful request into a preallocated array.
/// </summary>
public sealed partial class Runner : IDisposable
{
    private readonly BenchOptions _o;
    private readonly GrpcChannel[] _channels;
    private readonly KV.KVClient[] _clients;

    // Hot-path state shared by workers.
    private readonly long[] _latencyTicks;
    private int _nextIndex;
    private int _okCount;
    private long _errorCount;
    private readonly object _errorLock = new();
    private readonly List<(string Message, long Count)> _distinctErrors = [];

    public Runner(BenchOptions o)
    {
        _o = o;
        _latencyTicks = new long[o.Total];
        _channels = new GrpcChannel[o.Conns];
        _clients = new KV.KVClient[o.Conns];
        for (int i = 0; i < o.Conns; i++)
        {
            string endpoint = o.Endpoints[i % o.Endpoints.Count];
            var handler = new SocketsHttpHandler
            {
                // One channel == one TCP connection: extra streams queue on it rather than
                // silently opening more connections, so --conns means what it says.
                EnableMultipleHttp2Connections = false,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(o.DialTimeoutSeconds),
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            };
            _channels[i] = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
            {
                HttpHandler = handler,
                DisposeHttpClient = true,
                MaxReceiveMessageSize = null,
                MaxSendMessageSize = null,
            });
            _clients[i] = new KV.KVClient(_channels[i]);
        }
    }

    /// <summary>Connects every channel before the clock starts; returns an error message or null.</summary>
    public async Task<string?> ConnectAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(_o.DialTimeoutSeconds));
        for (int i = 0; i < _channels.Length; i++)
        {
            try
            {
                await _channels[i].ConnectAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return $"cannot connect to {_channels[i].Target} within {_o.DialTimeoutSeconds}s (--dial-timeout)";
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or HttpRequestException)
            {
                return $"cannot connect to {_channels[i].Target}: {e.Message}";
            }
        }
        return null;
    }

    /// <summary>
    /// Untimed warm-up so JIT and connection setup do not land in the first measured latencies:
    /// one serializable range of a single key per worker, spread like the workers. Reads change no
    /// state on the server. Returns an error message or null.
    /// </summary>
    public async Task<string?> WarmUpAsync()
    {
        var probe = new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("\0etcd-benchmark-warmup"), Serializable = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(_o.DialTimeoutSeconds, 10)));
        var calls = new Task[_o.Clients];
        for (int w = 0; w < calls.Length; w++)
        {
            var client = _clients[w % _clients.Length];
            calls[w] = client.RangeAsync(probe, cancellationToken: cts.Token).ResponseAsync;
        }
        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
            return null;
        }
        catch (RpcException e)
        {
            return $"warm-up range failed: {e.StatusCode}: {e.Status.Detail}";
        }
    }

    /// <summary>The distinct error messages seen so far, with counts (at most 64 kept).</summary>
    public IReadOnlyList<(string Message, long Count)> DistinctErrors()
    {
        lock (_errorLock)
        {
            return [.. _distinctErrors];
        }
    }

    public async Task<RunResult> RunAsync(Workload workload)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_o.MaxSeconds));
        var ct = deadline.Token;

        long start = Stopwatch.GetTimestamp();
        var workers = new Task[_o.Clients];
        for (int w = 0; w < workers.Length; w++)
        {
            var client = _clients[w % _clients.Length];
            workers[w] = Task.Run(() => WorkerAsync(workload, client, ct));
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var stats = LatencyStats.FromTicks(_latencyTicks.AsSpan(0, _okCount), Stopwatch.Frequency);
        List<(string, long)> errors;
        lock (_errorLock)
        {
            errors = [.. _distinctErrors];
        }
        bool timedOut = _okCount + _errorCount < _o.Total;
        return new RunResult(_o.OpName, _o.Total, stats, _errorCount, errors, elapsed, timedOut);
    }

    private async Task WorkerAsync(Workload workload, KV.KVClient client, CancellationToken ct)
    {
        int total = _o.Total;
        while (!ct.IsCancellationRequested)
        {
            int i = Interlocked.Increment(ref _nextIndex) - 1;
            if (i >= total)
            {
                return;
            }
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                await workload.ExecuteAsync(client, i, ct).ConfigureAwait(false);
                long t1 = Stopwatch.GetTimestamp();
                _latencyTicks[Interlocked.Increment(ref _okCount) - 1] = t1 - t0;
            }
            catch (RpcException) when (ct.IsCancellationRequested)
            {
                return; // cancelled by --max-seconds: neither a success nor a server error
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
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
    }

    private void RecordError(string message)
    {
        lock (_errorLock)
        {
            _errorCount++;
            int idx = _distinctErrors.FindIndex(x => x.Message == message);
            if (idx >= 0)
            {
                _distinctErrors[idx] = (message, _distinctErrors[idx].Count + 1);
            }
            else if (_distinctErrors.Count < 64)
            {
                _distinctErrors.Add((message, 1));
            }
        }
    }

    public void Dispose()
    {
        foreach (var ch in _channels)
        {
            ch.Dispose();
        }
    }
}
