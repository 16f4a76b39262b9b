using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;

namespace Etcd.Actors.Peer.Transport;

// The writer: at most one runs per connection (_writerScheduled). Frames queued while a send is in flight go out
// together in the next one, so a burst of Raft messages (a MsgApp to each follower, heartbeats, acks) costs one
// send instead of one per message: group commit for the wire. Each payload is copied once, into the pooled buffer.
internal sealed partial class PeerAssociationHandle
{
    private const int FrameHeader = 4;

    private void ScheduleWriter()
    {
        if (Interlocked.CompareExchange(ref _writerScheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private async Task DrainAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_settings.CoalesceBytes);
        try
        {
            while (true)
            {
                var filled = Fill(ref buffer);
                if (filled == 0)
                {
                    // Nothing queued: stand down, unless a Write slipped in after the last look (it saw us scheduled).
                    // A full fence (not a volatile write), so the looks at the queue and at _closing below cannot be
                    // ordered before it: a Write or Disassociate whose own CAS failed while we were scheduled is seen.
                    Interlocked.Exchange(ref _writerScheduled, 0);
                    if (!_outbound.IsEmpty && Interlocked.CompareExchange(ref _writerScheduled, 1, 0) == 0) continue;
                    // Closing: "flushed" only from the writer that owns the slot (taken again here), so no other
                    // writer's send is in flight when the close shuts the stream. The slot is then kept for good: a
                    // Write that slipped past _closing stays queued instead of racing SslStream.ShutdownAsync.
                    if (_closing && Interlocked.CompareExchange(ref _writerScheduled, 1, 0) == 0)
                    {
                        if (!_outbound.IsEmpty) continue;
                        _flushed.TrySetResult();
                    }
                    return;
                }
                await _stream.WriteAsync(buffer.AsMemory(0, filled)).ConfigureAwait(false);
                Interlocked.Add(ref _queuedBytes, -filled);
            }
        }
        catch (Exception e)
        {
            // The connection is gone (reset, closed under us): End reports it once; nothing more is sent. Anything
            // else is a bug of ours, said, and the connection ends too rather than leaving a writer that never runs.
            if (e is not (IOException or SocketException or ObjectDisposedException)) _transport.Unexpected(this, "writer", e);
            End();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies queued frames into <paramref name="buffer"/> while they fit; a frame larger than the buffer goes
    /// alone in one rented to its size. Returns the bytes filled.</summary>
    private int Fill(ref byte[] buffer)
    {
        var filled = 0;
        while (_outbound.TryPeek(out var payload))
        {
            var size = payload.Length + FrameHeader;
            if (filled > 0 && filled + size > buffer.Length) break;
            if (size > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(size);
            }
            _outbound.TryDequeue(out _);
            WriteFrame(buffer.AsSpan(filled, size), payload);
            filled += size;
        }
        return filled;
    }

    private static void WriteFrame(Span<byte> frame, ByteString payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.Span.CopyTo(frame[FrameHeader..]);
    }
}
