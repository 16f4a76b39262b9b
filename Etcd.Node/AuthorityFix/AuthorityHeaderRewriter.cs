using System.Buffers;

namespace Etcd.Node.AuthorityFix;

/// <summary>
/// Rewrites one HPACK header block (RFC 7541) so that a literal <c>:authority</c> whose value is not a valid
/// host — etcdctl 3.4 dials "passthrough:///http://127.0.0.1:2379" for endpoint status/hashkv and grpc-go then
/// sends ":authority: http://127.0.0.1:2379" — carries only its host:port. Kestrel validates :authority like a
/// Host header and resets the stream with PROTOCOL_ERROR otherwise (no option turns that off); etcd (Go)
/// ignores it. Every other byte of the block is left as it is, and a block that needs no change (the normal
/// case) is only scanned, never copied.
///
/// Dynamic table: a rewritten field keeps its representation, so a literal with incremental indexing still adds
/// an entry to the server's table, only a smaller one (entry size = 32 + name + value, RFC 7541 §4.1) than the
/// client's. The server's table therefore never holds more bytes than the client's for the same entries, so the
/// server evicts an entry only after the client has evicted it too; the client only references entries it still
/// holds, and since indexes count from the newest entry, every index it sends names the same entry on both sides.
/// An indexed reference to such an entry then yields the fixed value — nothing else needs rewriting.
/// </summary>
internal static class AuthorityHeaderRewriter
{
    private static ReadOnlySpan<byte> AuthorityName => ":authority"u8;
    private static ReadOnlySpan<byte> SchemeSeparator => "://"u8;
    private static ReadOnlySpan<byte> Localhost => "localhost"u8;

    /// <summary>Upper bound of a rewritten block's size: a value may grow when its Huffman coding is dropped (≤ 8/5).</summary>
    public static int MaxRewrittenLength(int blockLength) => blockLength * 2 + 16;

    /// <summary>
    /// True when <paramref name="block"/> was rewritten into <paramref name="output"/> (at least
    /// <see cref="MaxRewrittenLength"/> bytes); false when it needs no change or is not valid HPACK (then it is
    /// forwarded as it is and Kestrel judges it).
    /// </summary>
    public static bool TryRewrite(ReadOnlySpan<byte> block, Span<byte> output, out int written) =>
        Inspect(block, output, out written) == AuthorityVerdict.Rewritten;

    /// <summary>
    /// Reads <paramref name="block"/> and rewrites it into <paramref name="output"/> (at least
    /// <see cref="MaxRewrittenLength"/> bytes) when an :authority needs it; says what it found.
    /// </summary>
    public static AuthorityVerdict Inspect(ReadOnlySpan<byte> block, Span<byte> output, out int written)
    {
        written = 0;
        var copied = 0; // block[..copied] is already in output (only once a rewrite started)
        var rewritten = false;
        var fine = false;
        var i = 0;
        while (i < block.Length)
        {
            var b = block[i];
            int prefixBits;
            if ((b & 0x80) != 0)
            {
                if (!TryReadInteger(block, ref i, 7, out _)) return AuthorityVerdict.Unreadable; // indexed field
                continue;
            }
            if ((b & 0xC0) == 0x40) prefixBits = 6; // literal with incremental indexing
            else if ((b & 0xE0) == 0x20)
            {
                if (!TryReadInteger(block, ref i, 5, out _)) return AuthorityVerdict.Unreadable; // dynamic table size update
                continue;
            }
            else prefixBits = 4; // literal without indexing / never indexed

            if (!TryReadInteger(block, ref i, prefixBits, out var nameIndex)) return AuthorityVerdict.Unreadable;
            bool isAuthority;
            if (nameIndex == 0)
            {
                if (!TryReadString(block, ref i, out var nameHuffman, out var name)) return AuthorityVerdict.Unreadable;
                isAuthority = IsAuthorityName(name, nameHuffman);
            }
            else isAuthority = nameIndex == 1; // static table entry 1 is :authority

            var valueStart = i;
            if (!TryReadString(block, ref i, out var valueHuffman, out var value)) return AuthorityVerdict.Unreadable;
            if (!isAuthority) continue;
            if (!TryFixAuthority(value, valueHuffman, output[(written + valueStart - copied)..], out var valueWritten, out var changed))
                return AuthorityVerdict.Unreadable;
            if (!changed)
            {
                fine = true;
                continue;
            }
            block[copied..valueStart].CopyTo(output[written..]);
            written += valueStart - copied + valueWritten;
            copied = i;
            rewritten = true;
        }
        if (!rewritten)
        {
            written = 0;
            return fine ? AuthorityVerdict.Fine : AuthorityVerdict.Absent;
        }
        block[copied..].CopyTo(output[written..]);
        written += block.Length - copied;
        return AuthorityVerdict.Rewritten;
    }

    /// <summary>Writes the host:port of <paramref name="value"/> as a plain string into <paramref name="output"/> when it differs.</summary>
    private static bool TryFixAuthority(ReadOnlySpan<byte> value, bool huffman, Span<byte> output, out int written, out bool changed)
    {
        written = 0;
        changed = false;
        byte[]? rented = null;
        try
        {
            scoped ReadOnlySpan<byte> plain = value;
            if (huffman)
            {
                var max = HpackHuffman.MaxDecodedLength(value.Length);
                Span<byte> scratch = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
                if (!HpackHuffman.TryDecode(value, scratch, out var n)) return false;
                plain = scratch[..n];
            }
            var host = plain;
            var scheme = host.IndexOf(SchemeSeparator);
            if (scheme >= 0) host = host[(scheme + SchemeSeparator.Length)..].TrimStart((byte)'/'); // "passthrough:///h:1"
            var slash = host.IndexOf((byte)'/');
            if (slash >= 0) host = host[..slash];
            if (host.Length == plain.Length) return true; // already a plain authority: leave the bytes alone
            if (host.IsEmpty) host = Localhost; // e.g. "unix:///path": any valid host will do, the server has one name
            changed = true;
            WriteInteger(output, ref written, 0x00, 7, host.Length); // H = 0: not Huffman-coded
            host.CopyTo(output[written..]);
            written += host.Length;
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsAuthorityName(ReadOnlySpan<byte> name, bool huffman)
    {
        if (!huffman) return name.SequenceEqual(AuthorityName);
        // 10 characters of at most 30 bits each fit in 38 bytes; anything longer is another name.
        if (name.Length > 38) return false;
        Span<byte> decoded = stackalloc byte[64];
        return HpackHuffman.TryDecode(name, decoded, out var n) && decoded[..n].SequenceEqual(AuthorityName);
    }

    /// <summary>An HPACK string (RFC 7541 §5.2): H flag, 7-bit-prefix length, then the octets.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> block, ref int i, out bool huffman, out ReadOnlySpan<byte> value)
    {
        value = default;
        huffman = false;
        if (i >= block.Length) return false;
        huffman = (block[i] & 0x80) != 0;
        if (!TryReadInteger(block, ref i, 7, out var length) || length > block.Length - i) return false;
        value = block.Slice(i, length);
        i += length;
        return true;
    }

    /// <summary>An HPACK integer (RFC 7541 §5.1) with an N-bit prefix; false when truncated or beyond int range.</summary>
    internal static bool TryReadInteger(ReadOnlySpan<byte> block, ref int i, int prefixBits, out int value)
    {
        value = 0;
        if (i >= block.Length) return false;
        var max = (1 << prefixBits) - 1;
        value = block[i++] & max;
        if (value < max) return true;
        var shift = 0;
        while (true)
        {
            if (i >= block.Length || shift > 21) return false; // 4 continuation bytes cover any header block size
            var b = block[i++];
            value += (b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) return true;
        }
    }

    internal static void WriteInteger(Span<byte> output, ref int written, byte flags, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            output[written++] = (byte)(flags | value);
            return;
        }
        output[written++] = (byte)(flags | max);
        value -= max;
        while (value >= 0x80)
        {
            output[written++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }
        output[written++] = (byte)value;
    }
}
