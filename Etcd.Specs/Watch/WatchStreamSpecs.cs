using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Server;
using Etcd.Actors.Watch;
using Etcd.Api.Etcdserverpb;
using Xunit;

namespace Etcd.Specs.Watch;

/// <summary>
/// One watch stream as the gRPC edge drives it (<see cref="WatchSession"/>), over a real hub with this spec as its
/// store: what a client can make the member hold, and how the stream ends.
/// </summary>
public sealed class WatchStreamSpecs : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly IActorRef _hub;

    public WatchStreamSpecs()
    {
        _hub = Sys.ActorOf(WatchHubActor.Props(TimeSpan.Zero), "watch");
        _hub.Tell(new WatchProtocol.StoreOpened(5), TestActor);
    }

    private async Task<(WatchSession Session, WatchOutbox Outbox, IActorRef Stream)> Open(bool memberStopping = false)
    {
        var outbox = new WatchOutbox(0xCC, 0xAA, () => 1);
        var opened = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        _hub.Tell(new WatchProtocol.OpenStream(outbox, opened));
        var stream = await opened.Task.WaitAsync(Wait);
        return (new WatchSession(stream, outbox, 1 << 20, () => memberStopping), outbox, stream);
    }

    /// <summary>
    /// A client that floods RequestProgress and never reads: each answer holds its request's permit until it is read,
    /// so the client stops being read after <see cref="WatchOutbox.MaxPendingRequests"/> and the queue stays there
    /// (review of issue 9: the permit went back at once and the answers were not counted, so the queue grew for ever).
    /// Once it reads, every request is answered, each once.
    /// </summary>
    [Fact]
    public async Task RequestProgress_from_a_client_that_does_not_read_stops_at_the_permits()
    {
        var (session, outbox, _) = await Open();
        const int requests = 2000;
        var sent = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var flood = Task.Run(async () =>
        {
            for (var i = 0; i < requests; i++)
            {
                await session.SendAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, cts.Token);
                Interlocked.Increment(ref sent);
            }
        });

        AwaitCondition(() => outbox.Queued >= WatchOutbox.MaxPendingRequests, Wait);
        // Give the flood time to go on if it could: it must not.
        await Task.WhenAny(flood, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.False(flood.IsCompleted, $"all {requests} requests were taken without a read");
        Assert.Equal(WatchOutbox.MaxPendingRequests, outbox.Queued);
        Assert.InRange(Volatile.Read(ref sent), WatchOutbox.MaxPendingRequests, WatchOutbox.MaxPendingRequests + 1);

        var answers = 0;
        await foreach (var r in session.ReadAllAsync(cts.Token))
        {
            Assert.Equal(-1, r.WatchId);
            Assert.Equal(5, r.Header.Revision);
            Assert.True(outbox.Queued <= WatchOutbox.MaxPendingRequests, $"{outbox.Queued} queued");
            if (++answers == requests) break;
        }
        await flood.WaitAsync(Wait);
        Assert.Equal(0, outbox.Queued);
    }

    /// <summary>
    /// The stream's actor dies (its hub restarted, or the member stops) while the client is still there and silent:
    /// the call ends with Unavailable once what was queued is written, so the client reconnects (review of issue 9:
    /// the call stayed open and silent for ever).
    /// </summary>
    [Theory]
    [InlineData(false, "etcdserver: watch stream ended by the member, reconnect to resume")]
    [InlineData(true, "etcdserver: server stopped")]
    public async Task A_stream_whose_actor_dies_ends_the_call_with_Unavailable(bool memberStopping, string message)
    {
        var (session, _, stream) = await Open(memberStopping);
        using var client = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var requests = new Queue<WatchRequest>([new WatchRequest { CreateRequest = new WatchCreateRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("a") } }]);
        var written = new List<WatchResponse>();
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = session.RunAsync(
            async c =>
            {
                if (requests.TryDequeue(out var r)) return r;
                await Task.Delay(Timeout.Infinite, c); // a client that stays and says nothing more
                return null;
            },
            r =>
            {
                written.Add(r);
                created.TrySetResult();
                return Task.CompletedTask;
            },
            client.Token);
        await created.Task.WaitAsync(Wait);

        Sys.Stop(stream);
        var ended = await Assert.ThrowsAsync<Etcd.Actors.Errors.EtcdException>(() => call.WaitAsync(Wait));
        Assert.Equal((Etcd.Actors.Errors.EtcdErrorCode.Unavailable, message), (ended.Error.Code, ended.Error.Message));
        Assert.True(written.Single() is { Created: true, WatchId: 0 });
        Assert.False(client.IsCancellationRequested);
    }
}
