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
                if (buffer.Length > ReadBufferBytes && end - start < ReadBufferBytes)
                {
                    // A grown buffer holding no more than a small leftover (the first bytes of the next frame) moves
                    // it into a default-size one and gives its charge back: else a peer that always sends a few
                    // bytes of the next frame with each frame kept a grown buffer charged for as long as it liked.
                    // A large next frame grows it again by doubling as its bytes arrive (copies twice its size at
                    // most, amortized).
                    var small = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
                    buffer.AsSpan(start, end - start).CopyTo(small);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = small;
                    end -= start;
                    start = 0;
                    _transport.FrameBudget.Release(charged);
                    charged = 0;
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
