using System.Runtime.CompilerServices;
using Akka.Actor;
using Etcd.Actors.Watch;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// One gRPC Watch call as the edge sees it: requests in (<see cref="SendAsync"/>, which waits while the client has
/// too many unanswered requests), responses out (<see cref="ReadAllAsync"/>, fragmented for watchers that asked),
/// and <see cref="DisposeAsync"/> when the call ends, which stops the stream's actor and removes its watchers.
/// </summary>
public sealed class WatchSession : IAsyncDisposable
{
    private readonly IActorRef _stream;
    private readonly WatchOutbox _outbox;
    private readonly int _maxResponseBytes;
    private bool _partsPending;

    internal WatchSession(IActorRef stream, WatchOutbox outbox, int maxResponseBytes)
    {
        _stream = stream;
        _outbox = outbox;
        _maxResponseBytes = maxResponseBytes;
    }

    public async ValueTask SendAsync(WatchRequest request, CancellationToken ct)
    {
        await _outbox.AcquirePermitAsync(ct).ConfigureAwait(false);
        _stream.Tell(new WatchProtocol.StreamRequest(request));
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
