using System.Threading.Channels;
using Akka.Actor;
using Etcd.Actors.Watch.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Watch;

/// <summary>
/// One gRPC watch stream's queue of responses (etcd's watchStream channel plus serverWatchStream's ctrlStream): the
/// hub writes, the gRPC edge reads, and nobody waits for the other.
/// <list type="bullet">
/// <item>Events and progress notifications are bounded (<see cref="MaxResponses"/> responses and about
/// <see cref="MaxBytes"/> of keys and values): past the bound a send is refused and the watcher becomes a victim
/// (it holds nothing; it catches up from history once there is room). So a stalled client costs at most this
/// much memory, and never slows the hub or the writers.</item>
/// <item>Answers to requests (created, canceled, a refused create, the stream's progress for RequestProgress) are
/// not refused: instead the facade takes a permit (<see cref="MaxPendingRequests"/>) for every request before
/// handing it in, given back when its answer is read (or at once when it has none), so a client that sends
/// requests without reading stops being read, as etcd's recvLoop blocks on its ctrlStream. RequestProgresses that
/// wait for the stream's watchers to sync are answered together by one progress response, which gives all their
/// permits back.</item>
/// </list>
/// Every response gets etcd's header: cluster id, member id, the revision it is valid at, the Raft term now.
/// </summary>
public sealed class WatchOutbox : WatchOutlet
{
    public const int MaxResponses = 1024;
    public const long MaxBytes = 16L << 20;
    public const int MaxPendingRequests = 16;

    private readonly Channel<WatchOutboxItem> _queue =
        Channel.CreateUnbounded<WatchOutboxItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly SemaphoreSlim _permits = new(MaxPendingRequests, MaxPendingRequests);
    private readonly ulong _clusterId;
    private readonly ulong _memberId;
    private readonly Func<ulong> _term;
    private int _responses;
    private long _bytes;
    // RequestProgresses handed to the hub and not answered yet: their permits go back with the next stream progress
    // response. Only the hub touches it (RequestProgress, then TrySendProgress).
    private int _progressPermits;
    private int _queued; // everything queued, counted or not (the single-reader channel does not count)
    private volatile bool _closed;

    public WatchOutbox(ulong clusterId, ulong memberId, Func<ulong> term)
    {
        _clusterId = clusterId;
        _memberId = memberId;
        _term = term;
    }

    /// <summary>The stream's actor, told when the hub ends a watcher itself (compaction).</summary>
    internal IActorRef? Stream { get; set; }

    public override bool HasRoom => Volatile.Read(ref _responses) < MaxResponses && Interlocked.Read(ref _bytes) < MaxBytes;

    public override bool TrySendEvents(Watcher w, List<Event> events, long revision)
    {
        if (_closed) return true; // the stream is going: its watchers are being removed
        if (!HasRoom) return false;
        var r = new WatchResponse { Header = Header(revision), WatchId = w.WatchId };
        r.Events.AddRange(events);
        long bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var ev = events[i];
            bytes += 16 + ev.Kv.Key.Length + ev.Kv.Value.Length;
            if (ev.PrevKv is { } p) bytes += 16 + p.Key.Length + p.Value.Length;
        }
        Enqueue(new WatchOutboxItem(r, w.Fragment, true, bytes, 0));
        return true;
    }

    public override bool TrySendCompacted(Watcher w, long compactRevision, long revision)
    {
        // etcd answers with compact_revision and canceled, and no header revision (its watcher response has none).
        Enqueue(new WatchOutboxItem(new WatchResponse { Header = Header(0), WatchId = w.WatchId, CompactRevision = compactRevision, Canceled = true },
            false, false, 0, 0));
        Stream?.Tell(new WatchProtocol.WatcherEnded(w));
        return true;
    }

    public override bool TrySendProgress(Watcher? w, long revision)
    {
        if (w is not null && !HasRoom) return false; // busy with events: this tick's notification is not needed
        var permits = 0;
        if (w is null)
        {
            // The stream's answer to every RequestProgress since the last one.
            permits = _progressPermits;
            _progressPermits = 0;
        }
        Enqueue(new WatchOutboxItem(new WatchResponse { Header = Header(revision), WatchId = w?.WatchId ?? -1 }, false, w is not null, 0, permits));
        return true;
    }

    /// <summary>The hub took a RequestProgress of this stream: its permit waits for the stream progress response that answers it.</summary>
    internal void HoldProgressPermit() => _progressPermits++;

    /// <summary>The answer to one request (created, canceled, refused): never refused, it gives the request's permit back when read.</summary>
    public void SendAnswer(WatchResponse response) => Enqueue(new WatchOutboxItem(response, false, false, 0, 1));

    /// <summary>Builds etcd's response header.</summary>
    public ResponseHeader Header(long revision) =>
        new() { ClusterId = _clusterId, MemberId = _memberId, Revision = revision, RaftTerm = _term() };

    // ---- the facade's side ----

    /// <summary>Waits for a permit to hand in one more request.</summary>
    public Task AcquirePermitAsync(CancellationToken ct) => _permits.WaitAsync(ct);

    /// <summary>A request that has no answer gives its permit back at once.</summary>
    public void ReleasePermit() => _permits.Release();

    public ValueTask<bool> WaitToReadAsync(CancellationToken ct) => _queue.Reader.WaitToReadAsync(ct);

    public bool TryRead(out WatchOutboxItem item)
    {
        if (!_queue.Reader.TryRead(out item)) return false;
        Interlocked.Decrement(ref _queued);
        if (item.Counted)
        {
            Interlocked.Decrement(ref _responses);
            Interlocked.Add(ref _bytes, -item.Bytes);
        }
        if (item.Permits > 0) _permits.Release(item.Permits);
        return true;
    }

    /// <summary>Whether the stream ended on the member's side (<see cref="Close"/>).</summary>
    public bool IsClosed => _closed;

    /// <summary>Responses queued and not read yet.</summary>
    internal int Queued => Volatile.Read(ref _queued);

    /// <summary>A response is queued and can be read at once (the reader may then hold back its flush).</summary>
    public bool HasQueued => Volatile.Read(ref _queued) > 0;

    /// <summary>No more responses: the reader ends once it has read what is queued.</summary>
    public void Close()
    {
        _closed = true;
        _queue.Writer.TryComplete();
    }

    private void Enqueue(WatchOutboxItem item)
    {
        Interlocked.Increment(ref _queued);
        if (item.Counted)
        {
            Interlocked.Increment(ref _responses);
            Interlocked.Add(ref _bytes, item.Bytes);
        }
        if (_queue.Writer.TryWrite(item)) return;
        // Closed: nobody reads any more.
        Interlocked.Decrement(ref _queued);
        if (item.Counted)
        {
            Interlocked.Decrement(ref _responses);
            Interlocked.Add(ref _bytes, -item.Bytes);
        }
    }
}
