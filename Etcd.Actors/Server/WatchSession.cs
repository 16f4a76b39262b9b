using System.Runtime.CompilerServices;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Watch;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// One gRPC Watch call as the edge sees it: requests in (<see cref="SendAsync"/>, which waits while the client has
/// too many unanswered requests), responses out (<see cref="ReadAllAsync"/>, fragmented for watchers that asked),
/// and <see cref="DisposeAsync"/> when the call ends, which stops the stream's actor and removes its watchers.
/// <see cref="RunAsync"/> drives the whole call.
/// </summary>
public sealed class WatchSession : IAsyncDisposable
{
    private readonly IActorRef _stream;
    private readonly WatchOutbox _outbox;
    private readonly int _maxResponseBytes;
    private readonly Func<bool> _memberStopping;
    private readonly Func<WatchCreateRequest, CancellationToken, ValueTask<EtcdError?>>? _createPermitted;
    private bool _partsPending;

    /// <summary>etcd's answer to a watch on a range the user may not read (rpctypes.ErrGRPCPermissionDenied.Error()).</summary>
    public const string PermissionDeniedReason = "rpc error: code = PermissionDenied desc = etcdserver: permission denied";

    /// <summary>etcd's answer to a watch with a token from before an auth change (rpctypes.ErrGRPCAuthOldRevision.Error()).</summary>
    public const string AuthOldRevisionReason = "rpc error: code = InvalidArgument desc = etcdserver: revision of auth store is old";

    /// <summary>etcd's answer to a watch with a bad token (rpctypes.ErrGRPCInvalidAuthToken.Error()).</summary>
    public const string InvalidAuthTokenReason = "rpc error: code = Unauthenticated desc = etcdserver: invalid auth token";

    /// <summary>etcd's answer to a watch without a token while auth is enabled (rpctypes.ErrGRPCUserEmpty.Error()).</summary>
    public const string UserEmptyReason = "rpc error: code = InvalidArgument desc = etcdserver: user name is empty";

    /// <summary>
    /// etcd's v3rpc/watch.go (3.4.23+): the refusal's own rpc error as the cancel reason for the three auth errors it names,
    /// "permission denied" for anything else.
    /// </summary>
    public static string DeniedReason(EtcdError error) =>
        error == EtcdErrors.InvalidAuthToken ? InvalidAuthTokenReason
        : error == EtcdErrors.AuthOldRevision ? AuthOldRevisionReason
        : error == EtcdErrors.UserEmpty ? UserEmptyReason
        : PermissionDeniedReason;

    /// <param name="createPermitted">Null when the stream's user may read a create request's range, else the refusal (auth); null: always.</param>
    internal WatchSession(IActorRef stream, WatchOutbox outbox, int maxResponseBytes, Func<bool>? memberStopping = null,
        Func<WatchCreateRequest, CancellationToken, ValueTask<EtcdError?>>? createPermitted = null)
    {
        _createPermitted = createPermitted;
        _stream = stream;
        _outbox = outbox;
        _maxResponseBytes = maxResponseBytes;
        _memberStopping = memberStopping ?? (() => false);
    }

    /// <summary>
    /// The stream ended on the member's side (its actor stopped: the hub restarted, or the member stops) while the
    /// client was still there. Unavailable, so a client reconnects and resumes (clientv3 retries a watch on
    /// Unavailable); etcd's "server stopped" when the member stops, else this (etcd has no such case: its streams
    /// live as long as their call).
    /// </summary>
    public static readonly EtcdError StreamEnded = new(EtcdErrorCode.Unavailable, "etcdserver: watch stream ended by the member, reconnect to resume");

    /// <summary>
    /// Serves the whole call: hands in each request <paramref name="nextRequest"/> gives (null: the client half-closed
    /// or went away; a half-closed client keeps its watchers, as etcd's recvLoop ends without closing the stream),
    /// writes every response with <paramref name="write"/>, and returns once the client has gone
    /// (<paramref name="ct"/>). If the stream ends on the member's side first, it throws <see cref="StreamEnded"/>
    /// (or "server stopped") once what was queued is written, so the call ends instead of staying open and silent.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task<WatchRequest?>> nextRequest, Func<WatchResponse, Task> write, CancellationToken ct)
    {
        var writer = WriteAllAsync(write, ct);
        var reader = ReadRequestsAsync(nextRequest, ct);
        if (await Task.WhenAny(writer, reader).ConfigureAwait(false) == reader)
        {
            await reader.ConfigureAwait(false); // a failure other than the client leaving is the call's
            await writer.ConfigureAwait(false);
        }
        else
        {
            // The reader waits for a request that may never come; it ends with the call (its errors are of no use then).
            _ = reader.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        if (!ct.IsCancellationRequested && _outbox.IsClosed)
            throw (_memberStopping() ? EtcdErrors.Stopped : StreamEnded).ToException();
    }

    private async Task ReadRequestsAsync(Func<CancellationToken, Task<WatchRequest?>> nextRequest, CancellationToken ct)
    {
        try
        {
            while (await nextRequest(ct).ConfigureAwait(false) is { } request)
                await SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away while a request waited for a permit.
        }
    }

    private async Task WriteAllAsync(Func<WatchResponse, Task> write, CancellationToken ct)
    {
        try
        {
            await foreach (var r in ReadAllAsync(ct).ConfigureAwait(false))
                await write(r).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The call ended (the client left, or the member stops).
        }
    }

    public async ValueTask SendAsync(WatchRequest request, CancellationToken ct)
    {
        // etcd's isWatchPermitted: a watch the user may not open is created canceled, with the refusal's rpc error as reason.
        var denied = request.RequestUnionCase == WatchRequest.RequestUnionOneofCase.CreateRequest && _createPermitted is { } permitted
            ? await permitted(request.CreateRequest, ct).ConfigureAwait(false)
            : null;
        await _outbox.AcquirePermitAsync(ct).ConfigureAwait(false);
        _stream.Tell(denied is not null ? new WatchProtocol.DeniedCreate(DeniedReason(denied)) : new WatchProtocol.StreamRequest(request));
    }

    /// <summary>The responses, in order, until the stream ends or <paramref name="ct"/> is canceled.</summary>
    public async IAsyncEnumerable<WatchResponse> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        while (await _outbox.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (_outbox.TryRead(out var item))
            {
                if (!item.Fragment)
                {
                    _partsPending = false;
                    yield return item.Response;
                    continue;
                }
                var parts = WatchFragments.Split(item.Response, _maxResponseBytes).ToList();
                for (var i = 0; i < parts.Count; i++)
                {
                    _partsPending = i < parts.Count - 1;
                    yield return parts[i];
                }
            }
        }
    }

    /// <summary>
    /// After <see cref="ReadAllAsync"/> yielded a response: another is ready at once (a further fragment, or a queued
    /// response), so the writer may buffer this one and flush with a later one instead of flushing each.
    /// </summary>
    public bool MoreReady => _partsPending || _outbox.HasQueued;

    public ValueTask DisposeAsync()
    {
        _stream.Tell(PoisonPill.Instance);
        return ValueTask.CompletedTask;
    }
}
