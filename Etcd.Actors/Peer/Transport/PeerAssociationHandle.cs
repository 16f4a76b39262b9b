using System.Collections.Concurrent;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// One peer connection of <see cref="PeerTcpTransport"/>: frames are a 4-byte little-endian length and the payload
/// (the framing of Akka.Remote's DotNetty transport with its default byte order). <see cref="Write"/> queues a frame
/// (bounded: false when full, which Akka.Remote's EndpointWriter answers by buffering and retrying); one writer at a
/// time copies whatever is queued into one pooled buffer and sends it (Writer partial). One reader loop hands each
/// complete frame up with one copy (Reader partial). The connection ends once: a read or write failure, the peer
/// closing, or <see cref="Disassociate()"/>; the listener then hears <see cref="Disassociated"/> once.
/// </summary>
internal sealed partial class PeerAssociationHandle : AssociationHandle, IThreadPoolWorkItem
{
    private readonly PeerTcpTransport _transport;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PeerTransportSettings _settings;
    private readonly System.Net.IPAddress _remoteIp;
    private readonly ConcurrentQueue<ByteString> _outbound = new();
    private readonly TaskCompletionSource _flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _ending = new();
    private long _queuedBytes;
    private int _writerScheduled;
    private volatile bool _closing;
    private int _ended;

    public PeerAssociationHandle(PeerTcpTransport transport, Address localAddress, Address remoteAddress, Socket socket, Stream stream,
        System.Net.IPAddress remoteIp, PeerInboundSlot? inboundSlot = null)
        : base(localAddress, remoteAddress)
    {
        _remoteIp = remoteIp;
        InboundSlot = inboundSlot;
        _transport = transport;
        _socket = socket;
        _stream = stream;
        _settings = transport.Settings;
    }

    /// <summary>Where an accepted connection counts against the inbound bounds until it ends; null for one we dialled.</summary>
    internal PeerInboundSlot? InboundSlot { get; }

    /// <summary>The remote address is a member's now (asked at each buffer growth, not frozen when the connection
    /// began: a leader accepted before a restarting member published its table becomes a member's connection then,
    /// and a removed member's connections lose the exemption): its partial frames are never refused by the
    /// partial-frame budget (<see cref="PeerFrameBudget"/>).</summary>
    internal bool Member => _transport.IsMember(_remoteIp);

    /// <summary>Bytes queued and not yet handed to the socket (specs watch backpressure with it).</summary>
    internal long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>Starts the reader; it waits for Akka.Remote to register the listener before reading anything.</summary>
    public void Start() => _ = ReadLoopAsync();

    public override bool Write(ByteString payload)
    {
        if (_closing) return false;
        var size = payload.Length + FrameHeader;
        var queued = Volatile.Read(ref _queuedBytes);
        if (queued > 0 && queued + size > _settings.OutboundQueueBytes) return false;
        Interlocked.Add(ref _queuedBytes, size);
        _outbound.Enqueue(payload);
        ScheduleWriter();
        return true;
    }

    [Obsolete("Use the method that states reasons to make sure disassociation reasons are logged.")]
    public override void Disassociate()
    {
        if (_closing) return;
        _closing = true;
        _ = CloseGracefullyAsync();
    }

    /// <summary>
    /// Akka.Remote writes its Disassociate PDU just before calling us: queued frames leave first (bounded by
    /// flush-wait), then our side is shut for sending and the peer's close awaited (same bound), then the socket closes.
    /// </summary>
    private async Task CloseGracefullyAsync()
    {
        ScheduleWriter();
        try
        {
            await _flushed.Task.WaitAsync(_settings.FlushWait).ConfigureAwait(false);
            if (_stream is System.Net.Security.SslStream ssl) await ssl.ShutdownAsync().WaitAsync(_settings.FlushWait).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
            await _readerDone.Task.WaitAsync(_settings.FlushWait).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or IOException or SocketException or ObjectDisposedException)
        {
            // The peer did not take our last frames or did not close in time: close outright.
        }
        catch (Exception e)
        {
            _transport.Unexpected(this, "close", e);
        }
        finally
        {
            End();
        }
    }

    /// <summary>Closes the connection for good (idempotent) and tells the listener, if one was registered, once.</summary>
    internal void End()
    {
        _closing = true;
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        try
        {
            try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            _stream.Dispose();
            _socket.Dispose();
        }
        finally
        {
            // Whatever disposal did, the slot is released and the listener told: _ended is set, so nothing else will.
            _flushed.TrySetResult();
            _transport.Forget(this);
            // A reader still waiting for its listener stops waiting (its catch may run inline here; it only records that
            // it is done).
            _ending.Cancel();
            // ReadHandlerSource is Akka.Remote's to complete (ProtocolStateActor calls SetResult, which would throw on a
            // source we had cancelled): the listener hears of the end when it registers, now or later.
            ReadHandlerSource.Task.ContinueWith(static t => t.Result.Notify(new Disassociated(DisassociateInfo.Unknown)),
                CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    public override string ToString() => $"PeerAssociationHandle({LocalAddress} -> {RemoteAddress})";
}
