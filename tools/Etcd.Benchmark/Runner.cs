using System.Diagnostics;
using System.Net.Http;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>
/// Opens --conns channels (one HTTP/2 connection each), runs --clients workers over them
/// round-robin, and records one latency per successful request into a preallocated array.
/// </summary>
public sealed partial class Runner : IDisposable
{
    private readonly BenchOptions _o;
    private readonly Conn[] _conns;
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
        _conns = new Conn[o.Conns];
        _clients = new KV.KVClient[o.Conns];
        for (int i = 0; i < o.Conns; i++)
        {
            _conns[i] = new Conn(o.Endpoints[i % o.Endpoints.Count], o);
            _clients[i] = _conns[i].Kv;
        }
    }

    /// <summary>The --conns connections, worker w using <c>Conns[w % Conns.Count]</c>.</summary>
    public IReadOnlyList<Conn> Conns => _conns;

    /// <summary>Connects every channel before the clock starts; returns an error message or null.</summary>
    public async Task<string?> ConnectAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(_o.DialTimeoutSeconds));
        for (int i = 0; i < _conns.Length; i++)
        {
            try
            {
                await _conns[i].Channel.ConnectAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return $"cannot connect to {_conns[i].Channel.Target} within {_o.DialTimeoutSeconds}s (--dial-timeout)";
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or HttpRequestException)
            {
                return $"cannot connect to {_conns[i].Channel.Target}: {e.Message}";
            }
        }
        return await LoginAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// --user: each connection authenticates once, one after the other, before the clock starts. Bounded apart from
    /// the dial timeout: a login costs the server a bcrypt check and a Raft round, seconds for ten on a busy machine.
    /// </summary>
    private async Task<string?> LoginAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(_o.DialTimeoutSeconds, 60)));
        foreach (var conn in _conns)
        {
            if (conn.Token is not { } login) continue;
            try
            {
                await login.LoginAsync(null, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return $"cannot authenticate to {conn.Channel.Target} within {Math.Max(_o.DialTimeoutSeconds, 60)}s";
            }
            catch (RpcException e)
            {
                return $"cannot authenticate to {conn.Channel.Target}: {e.StatusCode}: {e.Status.Detail}";
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
        catch (RpcException e) when (_o.User is not null && e.StatusCode == StatusCode.PermissionDenied)
        {
            // --user may not read the probe's key: the round trip (and the token) warmed the connection all the same.
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

        // Per-worker state (e.g. a keep-alive stream) is opened before the clock starts.
        var contexts = new WorkerContext[_o.Clients];
        for (int w = 0; w < contexts.Length; w++)
        {
            contexts[w] = new WorkerContext(w, _conns[w % _conns.Length]);
            workload.InitWorker(contexts[w]);
        }

        double? cpu0 = ServerCpu.ReadSeconds(_o.ServerPids);
        var own0 = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        var workers = new Task[_o.Clients];
        for (int w = 0; w < workers.Length; w++)
        {
            var ctx = contexts[w];
            workers[w] = Task.Run(() => WorkerAsync(workload, ctx, ct));
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double? cpu1 = ServerCpu.ReadSeconds(_o.ServerPids);
        var own1 = Process.GetCurrentProcess().TotalProcessorTime;
        foreach (var ctx in contexts)
        {
            await workload.EndWorkerAsync(ctx).ConfigureAwait(false);
        }

        var stats = LatencyStats.FromTicks(_latencyTicks.AsSpan(0, _okCount), Stopwatch.Frequency);
        List<(string, long)> errors;
        lock (_errorLock)
        {
            errors = [.. _distinctErrors];
        }
        bool timedOut = _okCount + _errorCount < _o.Total;
        return new RunResult(_o.OpName, _o.Total, stats, _errorCount, errors, elapsed, timedOut,
            ServerCpu.Fields(cpu0, cpu1, _okCount) + ServerCpu.ClientFields(cpu0 is null ? null : own1 - own0, _okCount));
    }

    private async Task WorkerAsync(Workload workload, WorkerContext ctx, CancellationToken ct)
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
                await workload.ExecuteAsync(ctx, i, ct).ConfigureAwait(false);
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
            catch (BenchCheckException e)
            {
                RecordError(e.Message);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
            {
                RecordError($"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    public void RecordError(string message)
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
        foreach (var c in _conns)
        {
            c.Dispose();
        }
    }
}
