using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Etcd.Specs.Support;

/// <summary>
/// One watcher of a key range on one member, as a careful client keeps it: when the stream breaks (the member was
/// killed, restarted, or ended the call) it watches again from <c>start_revision = last resume point + 1</c>, where a
/// resume point is an event's revision or a response's header revision (docs/design.md "Watch": every header
/// revision is one). Every event it was sent is kept, in arrival order, for the spec to check; anything a correct
/// server never sends (a cancel, a compacted revision, a refused create) is kept as a violation and ends the watcher.
/// <para>Each attempt uses a new gRPC channel, so a member that comes back is reached at once rather than after the
/// channel's reconnect backoff; attempts are paced (200 ms) while the member refuses.</para>
/// </summary>
public sealed class ResumingWatcher : IAsyncDisposable
{
    private readonly string _endpoint;
    private readonly ByteString _key;
    private readonly ByteString _rangeEnd;
    private readonly List<Event> _events = [];
    private readonly List<string> _violations = [];
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource _changed = NewSignal();
    private long _next;

    public ResumingWatcher(string endpoint, string key, string rangeEnd, long startRevision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(startRevision, 1);
        _endpoint = endpoint;
        _key = ByteString.CopyFromUtf8(key);
        _rangeEnd = ByteString.CopyFromUtf8(rangeEnd);
        _next = startRevision;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many times the watch was created again after its stream broke.</summary>
    public int Resumes { get; private set; }

    public IReadOnlyList<Event> Events
    {
        get { lock (_gate) return [.. _events]; }
    }

    public IReadOnlyList<string> Violations
    {
        get { lock (_gate) return [.. _violations]; }
    }

    /// <summary>The revision up to which this watcher has everything (its next start revision - 1).</summary>
    public long UpTo
    {
        get { lock (_gate) return _next - 1; }
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the events received so far (checked on each response).</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<Event>, long, bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_events, _next - 1)) return;
                if (_violations.Count > 0) throw new InvalidOperationException($"watcher on {_endpoint}: {string.Join("; ", _violations)}");
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"watcher on {_endpoint} (up to revision {UpTo}, {Resumes} resumes): {what} not within {within}");
            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // Checked once more above, then reported.
            }
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var first = true;
        while (!token.IsCancellationRequested)
        {
            if (!first)
            {
                Resumes++;
                try
                {
                    await Task.Delay(200, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            first = false;
            try
            {
                using var channel = GrpcChannel.ForAddress(_endpoint);
                using var call = new Etcd.Api.Etcdserverpb.Watch.WatchClient(channel).Watch(cancellationToken: token);
                long start;
                lock (_gate) start = _next;
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = _key, RangeEnd = _rangeEnd, StartRevision = start },
                }, token);
                while (await call.ResponseStream.MoveNext(token))
                {
                    if (!Take(call.ResponseStream.Current, start)) return;
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
            {
                // The member is down or the stream broke (a write to a dead connection throws the HTTP/2 layer's
                // IOException, not an RpcException): watch again from the last resume point.
            }
        }
    }

    /// <summary>Keeps one response; false when it is one a correct server never sends (the watcher stops).</summary>
    private bool Take(WatchResponse r, long start)
    {
        lock (_gate)
        {
            try
            {
                if (r.Canceled || r.CompactRevision != 0)
                {
                    _violations.Add($"watch from {start} canceled: compact_revision {r.CompactRevision}, \"{r.CancelReason}\"");
                    return false;
                }
                if (r.Created) return true; // its header is the store's view, not a resume point in etcd 3.4
                foreach (var e in r.Events) _events.Add(e);
                var last = r.Events.Count > 0 ? r.Events[^1].Kv.ModRevision : 0;
                _next = Math.Max(_next, Math.Max(last, r.Header.Revision) + 1);
                return true;
            }
            finally
            {
                _changed.TrySetResult();
                _changed = NewSignal();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // A call stuck on a frozen member: the process is killed by the spec anyway.
        }
        _stop.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
