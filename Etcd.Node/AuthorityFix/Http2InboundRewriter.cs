using System.Buffers;
using System.Buffers.Binary;

namespace Etcd.Node.AuthorityFix;

/// <summary>
/// The client → server byte stream of one HTTP/2 connection, frame by frame, with every request header block
/// passed through <see cref="AuthorityHeaderRewriter"/>. Everything else — the connection preface, DATA,
/// SETTINGS, WINDOW_UPDATE, PING… — is copied segment by segment as it arrives (a DATA frame is not waited
/// for), without allocating. A header block (HEADERS plus its CONTINUATIONs) is collected whole first, because
/// the :authority field may straddle frames; when rewritten it goes out as one HEADERS frame (padding dropped,
/// priority and END_STREAM kept) or, beyond 16,384 bytes — the least SETTINGS_MAX_FRAME_SIZE a server may
/// advertise, and Kestrel's default — as HEADERS + CONTINUATIONs. Anything unexpected (not an HTTP/2 preface,
/// a block interrupted by another frame, a block beyond <see cref="MaxBlockBytes"/>, bad padding) is forwarded
/// untouched so that Kestrel reports it exactly as it would have.
/// </summary>
internal sealed class Http2InboundRewriter : IDisposable
{
    /// <summary>Bytes of raw frames collected for one header block at most; beyond that Kestrel refuses the block anyway.</summary>
    public const int MaxBlockBytes = 64 * 1024 + 32 * 1024;

    private const int FrameHeaderLength = 9;
    private const int MaxOutputFrame = 16384;
    private const byte TypeHeaders = 0x1;
    private const byte TypeContinuation = 0x9;
    private const byte FlagEndStream = 0x1;
    private const byte FlagEndHeaders = 0x4;
    private const byte FlagPadded = 0x8;
    private const byte FlagPriority = 0x20;

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private int _prefaceSeen;
    private bool _opaque;          // forward everything as it is: not HTTP/2, or nothing to fix on this connection
    private bool _firstBlockSeen;
    private long _passRemaining;   // payload bytes of the current pass-through frame still to copy
    private byte[]? _block;        // raw frames (headers included) of the header block being collected
    private int _blockLength;
    private bool _inBlock;
    private uint _blockStream;

    /// <summary>
    /// False once the connection needs no more looking at: it is not HTTP/2, or its first header block's :authority
    /// was fine. grpc-go sends its ClientConn's one authority on every stream of a connection, so such a connection
    /// never needs a rewrite, and from then on its bytes are only copied (no frame parsing).
    /// </summary>
    public bool Inspecting => !_opaque;

    /// <summary>Forwards what <paramref name="input"/> holds to <paramref name="output"/>; returns how far it was consumed.</summary>
    public SequencePosition Process(in ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(input);
        Span<byte> header = stackalloc byte[24]; // a frame header, or the part of the preface being checked
        while (!reader.End)
        {
            if (_opaque)
            {
                Copy(ref reader, reader.Remaining, output);
                break;
            }
            if (_prefaceSeen < Preface.Length)
            {
                var n = (int)Math.Min(reader.Remaining, Preface.Length - _prefaceSeen);
                reader.UnreadSequence.Slice(0, n).CopyTo(header);
                if (!header[..n].SequenceEqual(Preface.Slice(_prefaceSeen, n))) _opaque = true;
                _prefaceSeen += n;
                Copy(ref reader, n, output);
                continue;
            }
            if (_passRemaining > 0)
            {
                var n = Math.Min(reader.Remaining, _passRemaining);
                _passRemaining -= n;
                Copy(ref reader, n, output);
                continue;
            }

            if (!reader.TryCopyTo(header[..FrameHeaderLength])) break; // wait for the whole frame header
            var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header) >> 8);
            var type = header[3];
            var flags = header[4];
            var stream = BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF;

            if (_inBlock && (type != TypeContinuation || stream != _blockStream || _blockLength + FrameHeaderLength + length > MaxBlockBytes))
            {
                FlushBlockUnchanged(output); // a protocol error or an oversized block: Kestrel decides
                continue;
            }
            if (!_inBlock && (type != TypeHeaders || length > MaxBlockBytes - FrameHeaderLength))
            {
                Copy(ref reader, FrameHeaderLength, output);
                _passRemaining = length;
                continue;
            }
            if (reader.Remaining < FrameHeaderLength + length) break; // wait for the whole HEADERS/CONTINUATION

            Append(ref reader, FrameHeaderLength + length);
            if (!_inBlock)
            {
                _inBlock = true;
                _blockStream = stream;
            }
            if ((flags & FlagEndHeaders) != 0) FinishBlock(output);
        }
        return reader.Position;
    }

    /// <summary>The peer closed: whatever is still held (an unfinished block, a partial frame) goes out as it is.</summary>
    public void Finish(in ReadOnlySequence<byte> rest, IBufferWriter<byte> output)
    {
        if (_inBlock) FlushBlockUnchanged(output);
        foreach (var segment in rest) output.Write(segment.Span);
    }

    public void Dispose()
    {
        if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
        _block = null;
    }

    private static void Copy(ref SequenceReader<byte> reader, long count, IBufferWriter<byte> output)
    {
        foreach (var segment in reader.UnreadSequence.Slice(0, count)) output.Write(segment.Span);
        reader.Advance(count);
    }

    private void Append(ref SequenceReader<byte> reader, int count)
    {
        if (_block is null || _block.Length < _blockLength + count)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_blockLength + count, 4096));
            if (_block is not null)
            {
                _block.AsSpan(0, _blockLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_block);
            }
            _block = bigger;
        }
        reader.UnreadSequence.Slice(0, count).CopyTo(_block.AsSpan(_blockLength));
        reader.Advance(count);
        _blockLength += count;
    }

    private void FlushBlockUnchanged(IBufferWriter<byte> output)
    {
        output.Write(_block.AsSpan(0, _blockLength));
        _blockLength = 0;
        _inBlock = false;
    }

    /// <summary>The block is complete: rewrite it when its :authority needs it, else forward the frames as they came.</summary>
    private void FinishBlock(IBufferWriter<byte> output)
    {
        var isFirstBlock = !_firstBlockSeen;
        _firstBlockSeen = true;
        var raw = _block.AsSpan(0, _blockLength);
        var first = raw[..FrameHeaderLength];
        var flags = first[4];
        var firstPayload = raw.Slice(FrameHeaderLength, (int)(BinaryPrimitives.ReadUInt32BigEndian(first) >> 8));

        // The header block fragment of the HEADERS frame: after the pad length and priority fields, before the padding.
        var start = 0;
        var padding = 0;
        if ((flags & FlagPadded) != 0)
        {
            if (firstPayload.IsEmpty) { FlushBlockUnchanged(output); return; }
            padding = firstPayload[0];
            start = 1;
        }
        var priority = ReadOnlySpan<byte>.Empty;
        if ((flags & FlagPriority) != 0)
        {
            if (firstPayload.Length < start + 5) { FlushBlockUnchanged(output); return; }
            priority = firstPayload.Slice(start, 5);
            start += 5;
        }
        if (start + padding > firstPayload.Length) { FlushBlockUnchanged(output); return; }
        var firstFragment = firstPayload[start..^padding];

        var continuations = raw[(FrameHeaderLength + firstPayload.Length)..];
        byte[]? joined = null;
        var rewritten = ArrayPool<byte>.Shared.Rent(AuthorityHeaderRewriter.MaxRewrittenLength(raw.Length));
        try
        {
            ReadOnlySpan<byte> fragment = firstFragment;
            if (!continuations.IsEmpty)
            {
                // Only the HEADERS frame can carry padding; CONTINUATION payloads are pure fragment.
                joined = ArrayPool<byte>.Shared.Rent(raw.Length);
                firstFragment.CopyTo(joined);
                var n = firstFragment.Length;
                while (!continuations.IsEmpty)
                {
                    var len = (int)(BinaryPrimitives.ReadUInt32BigEndian(continuations) >> 8);
                    continuations.Slice(FrameHeaderLength, len).CopyTo(joined.AsSpan(n));
                    n += len;
                    continuations = continuations[(FrameHeaderLength + len)..];
                }
                fragment = joined.AsSpan(0, n);
            }
            var verdict = AuthorityHeaderRewriter.Inspect(fragment, rewritten, out var written);
            if (verdict != AuthorityVerdict.Rewritten)
            {
                FlushBlockUnchanged(output);
                // A connection that needed a rewrite stays inspected (every later block may carry the literal again);
                // one whose first block was fine never will (see Inspecting).
                if (isFirstBlock && verdict == AuthorityVerdict.Fine) _opaque = true;
                return;
            }
            WriteFrames(output, first, flags, priority, rewritten.AsSpan(0, written));
            _blockLength = 0;
            _inBlock = false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rewritten);
            if (joined is not null) ArrayPool<byte>.Shared.Return(joined);
        }
    }

    private static void WriteFrames(IBufferWriter<byte> output, ReadOnlySpan<byte> firstHeader, byte flags, ReadOnlySpan<byte> priority, ReadOnlySpan<byte> fragment)
    {
        var streamId = firstHeader.Slice(5, 4);
        var chunk = Math.Min(fragment.Length, MaxOutputFrame - priority.Length);
        var last = chunk == fragment.Length;
        var headersFlags = (byte)((flags & (FlagEndStream | FlagPriority)) | (last ? FlagEndHeaders : 0));
        WriteFrameHeader(output, priority.Length + chunk, TypeHeaders, headersFlags, streamId);
        output.Write(priority);
        output.Write(fragment[..chunk]);
        fragment = fragment[chunk..];
        while (!fragment.IsEmpty)
        {
            chunk = Math.Min(fragment.Length, MaxOutputFrame);
            WriteFrameHeader(output, chunk, TypeContinuation, chunk == fragment.Length ? FlagEndHeaders : (byte)0, streamId);
            output.Write(fragment[..chunk]);
            fragment = fragment[chunk..];
        }
    }

    private static void WriteFrameHeader(IBufferWriter<byte> output, int length, byte type, byte flags, ReadOnlySpan<byte> streamId)
    {
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        streamId.CopyTo(header[5..]);
        output.Write(header);
    }
}
