using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Watch;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Mvcc;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Watch;

/// <summary>
/// A real store and a real hub, with a gate between them that holds the store's batches: the hub falls behind by
/// more than the store's bound, the store drops the rest, and then nothing more is written. Every watcher must
/// still get every event once the hub catches up, in order, each once (review of issue 9: the dropped events
/// came only with a later write).
/// </summary>
public sealed class WatchHubOverflowSpecs() : MvccStoreActorSpecBase("etcd-watch-overflow")
{
    [Fact]
    public async Task A_burst_past_the_hubs_bound_then_silence_reaches_every_watcher_whole()
    {
        var hub = Sys.ActorOf(WatchHubActor.Props(TimeSpan.Zero), "watch");
        var held = CreateTestProbe();
        var gate = Sys.ActorOf(Props.Create(() => new BatchGate(hub, held.Ref)));
        var store = Sys.ActorOf(MvccStoreActor.Props(MemberSettings().MvccWithPaths, 0xAA, 0xCC, Waits, gate));

        var prefix = await Watch(hub, "k", "l");
        var key = await Watch(hub, "k", "");

        var n = MvccStoreActor.MaxUnconsumedWatchBatches + 40;
        var applied = CreateTestProbe();
        for (var i = 1; i <= n; i++) store.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put((ulong)i, "k", "v" + i)], 1), applied.Ref);
        for (var i = 0; i < MvccStoreActor.MaxUnconsumedWatchBatches; i++) held.ExpectMsg<WatchProtocol.Committed>(Wait);
        // The store has applied everything once it answers this (its mailbox is in order): the last 40 were dropped.
        store.Tell(new WatchProtocol.ReadHistory(new Etcd.Actors.Watch.Core.HistoryRequest(0, 1, 1, 1, false)), TestActor);
        ExpectMsg<WatchProtocol.History>(Wait);
        held.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        gate.Tell(BatchGate.Open.Instance);
        // Revision 1 is the empty store's; the puts are 2 .. n + 1. No write after this.
        var expected = Enumerable.Range(2, n).Select(r => (long)r).ToList();
        Assert.Equal(expected, await EventsUpTo(prefix, n + 1));
        Assert.Equal(expected, await EventsUpTo(key, n + 1));
    }

    private async Task<WatchOutbox> Watch(IActorRef hub, string key, string end)
    {
        var outbox = new WatchOutbox(0xCC, 0xAA, () => 1);
        var opened = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Tell(new WatchProtocol.OpenStream(outbox, opened));
        var stream = await opened.Task.WaitAsync(Wait);
        await outbox.AcquirePermitAsync(CancellationToken.None);
        stream.Tell(new WatchProtocol.StreamRequest(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(key), RangeEnd = ByteString.CopyFromUtf8(end) },
        }));
        var created = await Next(outbox);
        Assert.True(created.Created, created.ToString());
        return outbox;
    }

    /// <summary>The revisions of the events the watcher gets until a response at <paramref name="revision"/>; fails on a wait longer than <see cref="MvccStoreActorSpecBase.Wait"/>.</summary>
    private static async Task<List<long>> EventsUpTo(WatchOutbox outbox, long revision)
    {
        var revs = new List<long>();
        while (true)
        {
            var r = await Next(outbox);
            Assert.False(r.Canceled, r.ToString());
            revs.AddRange(r.Events.Select(e => e.Kv.ModRevision));
            if (r.Header.Revision >= revision) return revs;
        }
    }

    private static async Task<WatchResponse> Next(WatchOutbox outbox)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            if (outbox.TryRead(out var item)) return item.Response;
            try
            {
                Assert.True(await outbox.WaitToReadAsync(cts.Token), "the stream ended");
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no response in {Wait.TotalSeconds} s");
            }
        }
    }

    /// <summary>Between the store and the hub: holds the store's batches (telling <c>held</c> of each) until opened; passes everything else at once.</summary>
    private sealed class BatchGate : ReceiveActor
    {
        private readonly List<(object Message, IActorRef Sender)> _held = new();
        private bool _open;

        public BatchGate(IActorRef hub, IActorRef held)
        {
            Receive<Open>(_ =>
            {
                _open = true;
                foreach (var (m, s) in _held) hub.Tell(m, s);
                _held.Clear();
            });
            Receive<WatchProtocol.Committed>(m =>
            {
                if (_open)
                {
                    hub.Forward(m);
                    return;
                }
                _held.Add((m, Sender));
                held.Tell(m);
            });
            ReceiveAny(m => hub.Forward(m));
        }

        public sealed record Open
        {
            public static readonly Open Instance = new();
        }
    }
}
