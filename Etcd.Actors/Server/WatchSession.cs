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
                    yield return item.Response;
                    continue;
                }
                foreach (var part in WatchFragments.Split(item.Response, _maxResponseBytes)) yield return part;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stream.Tell(PoisonPill.Instance);
        return ValueTask.CompletedTask;
    }
}
