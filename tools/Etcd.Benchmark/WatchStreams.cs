using System.Diagnostics;
using System.Net.Http;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>
/// Watch streams, each on a connection of its own (so the watchers never share a connection with the
/// put load), with watchers spread round-robin over them: watcher w is created on stream w mod streams,
/// and stream s connects to endpoint s mod endpoints. Creates are sent in order without a client-chosen
/// ID; the server answers them in order (etcd's serverWatchStream handles one stream's requests in
/// order), so the k-th "created" on a stream is the stream's k-th watcher. One reader task per stream
/// records every event into its watcher's <see cref="WatcherLog"/> with the tick it was read at.
/// </summary>
public sealed class WatchStreams : IAsyncDisposable
{
    private readonly Conn[] _conns;
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse>[] _calls;
    private readonly Task[] _readers;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _allCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _watcherCount;
    private int _created;
    private long _delivered;
    // Events at or below this revision are counted in _warmDelivered and not logged (the untimed warm-up's).
    private long _ignoreUpTo = long.MinValue;
    private long _warmDelivered;
    private readonly object _errorLock = new();
    private readonly List<string> _errors = [];

    public WatcherLog[] Logs { get; }
    /// <summary>Events received so far, over all watchers.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Warm-up events received so far (<see cref="BeginWarmUp"/>), over all watchers; they are not logged.</summary>
    public long WarmDelivered => Interlocked.Read(ref _warmDelivered);

    /// <summary>From now on every event is a warm-up event, counted and not logged, until <see cref="EndWarmUp"/>.</summary>
    public void BeginWarmUp() => Interlocked.Exchange(ref _ignoreUpTo, long.MaxValue);

    /// <summary>Only events at or below <paramref name="lastWarmRevision"/> (the warm-up puts' last) are warm-up events.</summary>
    public void EndWarmUp(long lastWarmRevision) => Interlocked.Exchange(ref _ignoreUpTo, lastWarmRevision);

    /// <summary>Stream and watcher errors (a stream that broke, a create the server refused, a cancel), at most 64.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errorLock)
            {
                return [.. _errors];
            }
        }
    }

    private WatchStreams(BenchOptions o, IReadOnlyList<WatchCreateRequest> watchers, int streams, int capacity)
    {
        _watcherCount = watchers.Count;
        streams = Math.Min(streams, Math.Max(1, watchers.Count));
        Logs = new WatcherLog[watchers.Count];
        for (int w = 0; w < Logs.Length; w++)
        {
            Logs[w] = new WatcherLog(capacity);
        }
        _conns = new Conn[streams];
        _calls = new AsyncDuplexStreamingCall<WatchRequest, WatchResponse>[streams];
        _readers = new Task[streams];
        for (int s = 0; s < streams; s++)
        {
            _conns[s] = new Conn(o.Endpoints[s % o.Endpoints.Count], o);
        }
    }

    /// <summary>
    /// Opens the streams, creates the watchers and waits until the server confirmed every one of them
    /// (bounded by <paramref name="timeout"/>). Returns the streams, or an error (the streams are then closed).
    /// </summary>
    public static async Task<(WatchStreams? Streams, string? Error)> OpenAsync(
        BenchOptions o, IReadOnlyList<WatchCreateRequest> watchers, int streams, int capacity, TimeSpan timeout)
    {
        var ws = new WatchStreams(o, watchers, streams, capacity);
        string? error = await ws.StartAsync(watchers, timeout).ConfigureAwait(false);
        if (error is null)
        {
            return (ws, null);
        }
        await ws.DisposeAsync().ConfigureAwait(false);
        return (null, error);
    }

    private async Task<string?> StartAsync(IReadOnlyList<WatchCreateRequest> watchers, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        int streams = _conns.Length;
        try
        {
            for (int s = 0; s < streams; s++)
            {
                await _conns[s].Channel.ConnectAsync(deadline.Token).ConfigureAwait(false);
                _calls[s] = _conns[s].Watch.Watch(cancellationToken: _stop.Token);
                // Watchers of stream s, in the order their creates are sent (and answered).
                var order = new Queue<int>();
                for (int w = s; w < watchers.Count; w += streams)
                {
                    order.Enqueue(w);
                }
                var call = _calls[s];
                _readers[s] = Task.Run(() => ReadAsync(call, order));
                for (int w = s; w < watchers.Count; w += streams)
                {
                    await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = watchers[w] }, deadline.Token).ConfigureAwait(false);
                }
            }
            if (_watcherCount == 0)
            {
                return null;
            }
            await _allCreated.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var errs = Errors;
            return $"only {Volatile.Read(ref _created)} of {_watcherCount} watchers created within {timeout.TotalSeconds}s" +
                (errs.Count > 0 ? $"; first error: {errs[0]}" : "");
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
        {
            return $"opening the watch streams failed ({Volatile.Read(ref _created)} of {_watcherCount} watchers created): {e.Message}";
        }
    }

    private async Task ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, Queue<int> order)
    {
        var byId = new Dictionary<long, int>();
        try
        {
            while (await call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
            {
                long tick = Stopwatch.GetTimestamp();
                var r = call.ResponseStream.Current;
                if (r.Created)
                {
                    if (!order.TryDequeue(out int w))
                    {
                        RecordError($"stream answered more creates than it was sent (watch id {r.WatchId})");
                        continue;
                    }
                    if (r.Canceled)
                    {
                        Fail($"watcher {w}: create refused: {r.CancelReason}");
                        continue;
                    }
                    byId[r.WatchId] = w;
                    if (Interlocked.Increment(ref _created) == _watcherCount)
                    {
                        _allCreated.TrySetResult();
                    }
                }
                if (!byId.TryGetValue(r.WatchId, out int watcher))
                {
                    if (r.Events.Count > 0 || r.Canceled)
                    {
                        RecordError($"response for unknown watch id {r.WatchId} ({r.Events.Count} events, canceled={r.Canceled})");
                    }
                    continue;
                }
                var log = Logs[watcher];
                long ignoreUpTo = Interlocked.Read(ref _ignoreUpTo);
                int logged = 0;
                foreach (var ev in r.Events)
                {
                    if (ev.Kv.ModRevision <= ignoreUpTo)
                    {
                        continue;
                    }
                    log.Add(ev.Kv.ModRevision, tick);
                    logged++;
                }
                if (logged > 0)
                {
                    Interlocked.Add(ref _delivered, logged);
                }
                if (logged < r.Events.Count)
                {
                    Interlocked.Add(ref _warmDelivered, r.Events.Count - logged);
                }
                if (r.Canceled && !r.Created)
                {
                    log.Canceled = $"canceled by the server: '{r.CancelReason}' compact_revision={r.CompactRevision}";
                    RecordError($"watcher {watcher}: {log.Canceled}");
                }
            }
            if (!_stop.IsCancellationRequested)
            {
                Fail("a watch stream was ended by the server");
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            // Closed by DisposeAsync.
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
        {
            Fail($"a watch stream broke: {e.Message}");
        }
    }

    /// <summary>Records the error and, while watchers are still being created, ends the wait for them at once.</summary>
    private void Fail(string message)
    {
        RecordError(message);
        _allCreated.TrySetException(new InvalidOperationException(message));
    }

    private void RecordError(string message)
    {
        lock (_errorLock)
        {
            if (_errors.Count < 64)
            {
                _errors.Add(message);
            }
        }
    }

    /// <summary>Closes the streams and waits for the readers (after this, <see cref="Logs"/> no longer change).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var call in _calls)
        {
            if (call is null)
            {
                continue;
            }
            try
            {
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                // Already broken; the cancel below ends it.
            }
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var reader in _readers)
        {
            if (reader is not null)
            {
                await reader.ConfigureAwait(false);
            }
        }
        foreach (var call in _calls)
        {
            call?.Dispose();
        }
        foreach (var c in _conns)
        {
            c.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>A prefix watch on <paramref name="prefix"/>: [prefix, prefix with its last byte + 1), as etcdctl's --prefix.</summary>
    public static WatchCreateRequest PrefixWatch(string prefix)
    {
        var key = System.Text.Encoding.UTF8.GetBytes(prefix);
        return new WatchCreateRequest { Key = ByteString.CopyFrom(key), RangeEnd = ByteString.CopyFrom(PrefixEnd(key)) };
    }

    /// <summary>clientv3.GetPrefixRangeEnd: the prefix with its last byte below 0xff incremented and the rest dropped.</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)];
                end[i]++;
                return end;
            }
        }
        return [0]; // all 0xff: to the end of the key space
    }
}
