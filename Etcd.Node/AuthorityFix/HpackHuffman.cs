namespace Etcd.Node.AuthorityFix;

/// <summary>
/// Decoder for the HPACK static Huffman code (RFC 7541 Appendix B). grpc-go Huffman-encodes a header value
/// whenever that is shorter, so <see cref="AuthorityHeaderRewriter"/> needs this to read an :authority value.
/// The code is canonical (codes are assigned in order of length, then symbol), so the table below holds only
/// the 257 code lengths and the decoder derives the codes from them; decoding walks bit by bit, which is
/// plenty for the few short values it is used on (never on the hot DATA path).
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;
    private const int MaxLength = 30;

    // Code length in bits of every symbol 0..255 and EOS (256), RFC 7541 Appendix B.
    private static ReadOnlySpan<byte> Lengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    // Canonical decoding tables, per code length L: the first code of that length, how many codes have it,
    // and where its symbols start in Symbols (symbols sorted by length, then value).
    private static readonly uint[] FirstCode = new uint[MaxLength + 1];
    private static readonly int[] Count = new int[MaxLength + 1];
    private static readonly int[] Offset = new int[MaxLength + 1];
    private static readonly short[] Symbols = new short[257];

    static HpackHuffman()
    {
        var lengths = Lengths;
        for (var s = 0; s < lengths.Length; s++) Count[lengths[s]]++;
        uint code = 0;
        var offset = 0;
        for (var len = 1; len <= MaxLength; len++)
        {
            FirstCode[len] = code;
            Offset[len] = offset;
            offset += Count[len];
            code = (code + (uint)Count[len]) << 1;
        }
        var next = (int[])Offset.Clone();
        for (var len = 1; len <= MaxLength; len++)
        {
            for (var s = 0; s < lengths.Length; s++)
                if (lengths[s] == len) Symbols[next[len]++] = (short)s;
        }
    }

    /// <summary>The most bytes <paramref name="encodedLength"/> encoded bytes can decode to (shortest code: 5 bits).</summary>
    public static int MaxDecodedLength(int encodedLength) => encodedLength * 8 / 5;

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/>. False when the input is not a valid
    /// Huffman string (EOS inside it, padding longer than 7 bits or not all ones, RFC 7541 §5.2) or the
    /// destination is too small.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        uint code = 0;
        var len = 0;
        foreach (var b in source)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((b >> bit) & 1);
                len++;
                var index = code - FirstCode[len];
                if (index < (uint)Count[len])
                {
                    var symbol = Symbols[Offset[len] + (int)index];
                    if (symbol == Eos || written == destination.Length) return false;
                    destination[written++] = (byte)symbol;
                    code = 0;
                    len = 0;
                }
                else if (len == MaxLength)
                {
                    return false;
                }
            }
        }
        // What is left must be a prefix of EOS: at most 7 bits, all ones.
        return len <= 7 && code == (1u << len) - 1;
    }
}
