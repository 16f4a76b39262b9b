using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace Etcd.Actors.Peer.Transport;

// The reader: one loop per connection on a pooled buffer. A complete frame is handed up with one copy (the ByteString
// Akka.Remote keeps); a partial one stays in the buffer, which grows by doubling only as far as bytes actually arrive,
// so a length prefix claims nothing by itself. A prefix that is negative or over maximum-frame-size ends the
// connection with a warning: the peer is not speaking this protocol (garbage, a stranger, another transport).
// A buffer grown past the first 64 KiB counts whole against the transport's partial-frame budget until it shrinks
// back, which it does as soon as it holds less than 64 KiB (what is left of a partial frame moves along): a stranger's
// connection whose growth the budget refuses ends with a warning naming it (PeerFrameBudget). Whether the peer is a
// member is asked at each growth (Member), not when the connection began.
internal sealed partial class PeerAssociationHandle
{
    private const int ReadBufferBytes = 64 * 1024;

    // connection-timeout + handshake-timeout, clamped to what WaitAsync takes (an infinite or huge setting would
    // otherwise make it throw and leave the connection neither read nor ended).
    private TimeSpan RegistrationLimit
    {
        get
        {
            var max = TimeSpan.FromMilliseconds(int.MaxValue - 1);
            var connect = _settings.ConnectTimeout < TimeSpan.Zero || _settings.ConnectTimeout > max ? max : _settings.ConnectTimeout;
            var handshake = _settings.HandshakeTimeout < TimeSpan.Zero || _settings.HandshakeTimeout > max ? max : _settings.HandshakeTimeout;
            return connect + handshake > max ? max : connect + handshake;
        }
    }

    private async Task ReadLoopAsync()
    {
        IHandleEventListener listener;
        try
        {
            // Nothing is read before Akka.Remote registers who hears it (DotNetty keeps AutoRead off until then).
            // Akka never registering (its handshake timer fired before it took the handle) would leave the connection
            // open for good: past connection-timeout + handshake-timeout it ends.
            listener = await ReadHandlerSource.Task.WaitAsync(RegistrationLimit, _ending.Token)
                .ConfigureAwait(false);
            // Akka completes the source on its own thread (for an inbound association in ProtocolStateActor's
            // constructor) and without RunContinuationsAsynchronously, so the await above resumes inside its SetResult.
            // Yield to the thread pool before reading: the loop, its reads and its Notify calls stay off that thread.
            // (ForceYielding on the await above would not do: it only yields when the task is complete already.)
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }
        catch (OperationCanceledException)
        {
            _readerDone.TrySetResult();
            return;
        }
        catch (TimeoutException)
        {
            _readerDone.TrySetResult();
            _transport.WarnUnregistered(this);
            End();
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        int start = 0, end = 0;
        // What this connection holds of the partial-frame budget: the length of a grown buffer, else nothing.
        long charged = 0;
        try
        {
            while (true)
            {
                while (end - start >= FrameHeader)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(start));
                    if (length < 0 || length > _settings.MaximumFrameSize)
                    {
                        _transport.WarnBadFrame(this, length);
                        return;
                    }
                    if (end - start - FrameHeader < length) break;
                    // While closing, what still arrives is the peer's last words to an endpoint that is gone.
                    if (length > 0 && !_closing)
                        listener.Notify(new InboundPayload(ByteString.CopyFrom(buffer, start + FrameHeader, length)));
                    start += FrameHeader + length;
                }
                if (buffer.Length > ReadBufferBytes && PendingNeeds(buffer, start, end) <= buffer.Length / 2)
                {
                    // A grown buffer keeps only what the frame under way needs (its declared length once its header
                    // is in, at least the default size): else a peer that always sent some of the next frame with
                    // each frame kept a grown buffer, and its charge, for as long as it liked. The peer must send a
                    // frame whole before it can send a heartbeat, so what it holds of the budget costs it as many
                    // bytes per acceptable heartbeat pause. Back-to-back large frames keep their buffer (no re-grow).
                    var smaller = ArrayPool<byte>.Shared.Rent(PendingNeeds(buffer, start, end));
                    buffer.AsSpan(start, end - start).CopyTo(smaller);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = smaller;
                    end -= start;
                    start = 0;
                    var keep = buffer.Length > ReadBufferBytes ? buffer.Length : 0;
                    _transport.FrameBudget.Release(charged - keep);
                    charged = keep;
                }
                else if (start == end)
                {
                    start = end = 0;
                }
                else if (end == buffer.Length && start > 0)
                {
                    // Moves the partial frame to the front.
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                else if (end == buffer.Length)
                {
                    var grown = Grow(buffer);
                    if (!_transport.FrameBudget.TryTake(grown.Length - charged, Member))
                    {
                        ArrayPool<byte>.Shared.Return(grown);
                        _transport.WarnFrameBudget(this, grown.Length);
                        return;
                    }
                    charged = grown.Length;
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }
                var read = await _stream.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                if (read == 0) return;
                end += read;
            }
        }
        catch (Exception e)
        {
            // Reset, closed under us, or a TLS record that does not decrypt: the connection is over either way.
            if (e is not (IOException or SocketException or ObjectDisposedException or OperationCanceledException))
                _transport.Unexpected(this, "reader", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _transport.FrameBudget.Release(charged);
            _readerDone.TrySetResult();
            // A graceful close of ours waits for this (the peer's FIN) and ends the connection itself.
            if (!_closing) End();
            else if (Volatile.Read(ref _ended) == 0 && !_flushed.Task.IsCompleted) End();
        }
    }

    /// <summary>The buffer the bytes from <paramref name="start"/> to <paramref name="end"/> need: their frame's
    /// prefix and declared length once the prefix is in (the parse loop has checked it), else what is there; at
    /// least the default size. Less than a whole frame is pending here, so the result always exceeds
    /// <c>end - start</c> and a buffer of it has room to read into.</summary>
    private static int PendingNeeds(byte[] buffer, int start, int end)
    {
        var pending = end - start;
        var needs = pending >= FrameHeader
            ? FrameHeader + BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(start))
            : pending;
        return Math.Max(ReadBufferBytes, needs);
    }

    /// <summary>A buffer for a partial frame that fills <paramref name="buffer"/> from the front: twice the size, or
    /// the frame's size with its prefix when that is less, as ArrayPool rents it (rounded up to a power of two, so up
    /// to <see cref="PeerTransportSettings.LargestFrameBuffer"/>), holding what arrived so far. The caller returns
    /// the old one.</summary>
    private static byte[] Grow(byte[] buffer)
    {
        var frame = FrameHeader + BinaryPrimitives.ReadInt32LittleEndian(buffer);
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, frame));
        buffer.AsSpan().CopyTo(grown);
        return grown;
    }
}
