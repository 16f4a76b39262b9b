using System.Buffers;
using Etcd.Node.AuthorityFix;
using Xunit;
using static Etcd.Specs.Node.AuthorityHeaderRewriterSpecs;

namespace Etcd.Specs.Node;

/// <summary>
/// The inbound HTTP/2 byte stream rewriter: frames other than header blocks pass byte for byte, header blocks
/// (padded, with priority, continued) come out as one HEADERS frame with a fixed :authority — however the
/// bytes are split into reads and segments.
/// </summary>
public sealed class Http2InboundRewriterSpecs
{
    private static readonly byte[] Preface = Ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    private static readonly byte[] Settings = Frame(0x4, 0, 0, [0x00, 0x03, 0x00, 0x00, 0x00, 0x64]);
    private static readonly byte[] Data = Frame(0x0, 0x1, 1, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray());
    private static readonly byte[] Bad = Concat([0x82, 0x86, 0x83, 0x41, 21], Ascii("http://127.0.0.1:2379"), [0x44, 0x02], Ascii("/x"));
    private static readonly byte[] Good = Concat([0x82, 0x86, 0x83, 0x41, 14], Ascii("127.0.0.1:2379"), [0x44, 0x02], Ascii("/x"));

    [Fact]
    public void Passes_a_connection_without_anything_to_fix_byte_for_byte()
    {
        var ok = Frame(0x1, 0x4, 1, Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff")); // RFC 7541 C.4.1
        var input = Concat(Preface, Settings, ok, Data, Frame(0x8, 0, 0, [0, 0, 1, 0]));
        AssertEverySplit(input, input);
    }

    [Fact]
    public void Rewrites_the_authority_of_a_plain_headers_frame()
    {
        var input = Concat(Preface, Settings, Frame(0x1, 0x4, 1, Bad), Data);
        AssertEverySplit(input, Concat(Preface, Settings, Frame(0x1, 0x4, 1, Good), Data));
    }

    [Fact]
    public void Drops_padding_and_keeps_priority_and_end_stream()
    {
        byte[] priority = [0x80, 0, 0, 0, 0x0f];
        var padded = Concat([3], priority, Bad, [0, 0, 0]);
        var input = Concat(Preface, Frame(0x1, 0x4 | 0x8 | 0x20 | 0x1, 3, padded), Data);
        AssertEverySplit(input, Concat(Preface, Frame(0x1, 0x4 | 0x20 | 0x1, 3, Concat(priority, Good)), Data));
    }

    [Fact]
    public void Joins_continuations_when_the_authority_straddles_them()
    {
        var input = Concat(Preface, Frame(0x1, 0x1, 5, Bad[..10]), Frame(0x9, 0, 5, Bad[10..20]), Frame(0x9, 0x4, 5, Bad[20..]), Data);
        AssertEverySplit(input, Concat(Preface, Frame(0x1, 0x1 | 0x4, 5, Good), Data));
    }

    [Fact]
    public void Splits_a_rewritten_block_beyond_16384_bytes_into_continuations()
    {
        // x-big, a 20,000-byte value: its length is 127 + 19873 = 0x7f, then 19873 in 7-bit groups (RFC 7541 §5.1).
        var big = Concat([0x40, 5], Ascii("x-big"), [0x7f, 0xa1, 0x9b, 0x01], new byte[20000], Bad);
        var input = Concat(Preface, Frame(0x1, 0, 7, big[..16384]), Frame(0x9, 0x4, 7, big[16384..]));
        var fixedBlock = Concat(big[..^Bad.Length], Good);
        var expected = Concat(Preface, Frame(0x1, 0, 7, fixedBlock[..16384]), Frame(0x9, 0x4, 7, fixedBlock[16384..]));
        Assert.Equal(expected, Run(input, [input.Length]));
        Assert.Equal(expected, Run(input, [7, 30, 9000, 1, 16390, 17]));
    }

    [Fact]
    public void Forwards_an_interrupted_block_unchanged_for_kestrel_to_refuse()
    {
        var input = Concat(Preface, Frame(0x1, 0x1, 5, Bad[..10]), Data, Frame(0x9, 0x4, 5, Bad[10..]));
        AssertEverySplit(input, input);
    }

    [Fact]
    public void Forwards_what_is_not_http2_unchanged()
    {
        var input = Concat(Ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Frame(0x1, 0x4, 1, Bad));
        AssertEverySplit(input, input);
    }

    [Fact]
    public void Forwards_an_unfinished_block_when_the_peer_closes()
    {
        var input = Concat(Preface, Frame(0x1, 0x1, 5, Bad[..10]), Frame(0x9, 0x4, 5, Bad[10..])[..12]);
        AssertEverySplit(input, input);
    }

    [Fact]
    public void Stops_inspecting_a_connection_once_its_first_header_block_is_fine()
    {
        // A later block with a scheme-prefixed authority passes untouched: the connection is only copied now.
        var input = Concat(Preface, Settings, Frame(0x1, 0x4, 1, Good), Data, Frame(0x1, 0x4, 3, Bad), Data);
        AssertEverySplit(input, input);
        using var rewriter = new Http2InboundRewriter();
        Assert.True(rewriter.Inspecting);
        rewriter.Process(new ReadOnlySequence<byte>(Concat(Preface, Settings, Frame(0x1, 0x4, 1, Good))), new ArrayBufferWriter<byte>());
        Assert.False(rewriter.Inspecting);
    }

    [Fact]
    public void Keeps_inspecting_a_connection_whose_first_header_block_was_rewritten()
    {
        var input = Concat(Preface, Frame(0x1, 0x4, 1, Bad), Data, Frame(0x1, 0x4, 3, Good), Frame(0x1, 0x4, 5, Bad));
        AssertEverySplit(input, Concat(Preface, Frame(0x1, 0x4, 1, Good), Data, Frame(0x1, 0x4, 3, Good), Frame(0x1, 0x4, 5, Good)));
    }

    [Fact]
    public void Keeps_inspecting_when_the_first_header_block_has_no_authority()
    {
        byte[] noAuthority = [0x82, 0x86, 0x84]; // :method GET, :scheme http, :path /
        var input = Concat(Preface, Frame(0x1, 0x4, 1, noAuthority), Frame(0x1, 0x4, 3, Bad));
        AssertEverySplit(input, Concat(Preface, Frame(0x1, 0x4, 1, noAuthority), Frame(0x1, 0x4, 3, Good)));
    }

    private static void AssertEverySplit(byte[] input, byte[] expected)
    {
        Assert.Equal(expected, Run(input, [input.Length]));
        Assert.Equal(expected, Run(input, Enumerable.Repeat(1, input.Length).ToArray()));
        Assert.Equal(expected, Run(input, [5, 3, 30, 2, 9, 100, 4, 1000]));
    }

    /// <summary>Feeds <paramref name="input"/> in reads of the given sizes, each read a sequence of 1-3 byte segments.</summary>
    private static byte[] Run(byte[] input, int[] reads)
    {
        using var rewriter = new Http2InboundRewriter();
        var output = new ArrayBufferWriter<byte>();
        var pending = Array.Empty<byte>();
        var offset = 0;
        var r = 0;
        while (offset < input.Length)
        {
            var n = Math.Min(r < reads.Length ? reads[r++] : input.Length, input.Length - offset);
            pending = Concat(pending, input[offset..(offset + n)]);
            offset += n;
            var sequence = Segmented(pending);
            var consumed = rewriter.Process(sequence, output);
            pending = sequence.Slice(consumed).ToArray();
        }
        rewriter.Finish(Segmented(pending), output);
        return output.WrittenSpan.ToArray();
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        if (bytes.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(bytes.AsMemory(0, Math.Min(3, bytes.Length)), 0);
        var last = first;
        for (var i = last.Memory.Length; i < bytes.Length;)
        {
            var len = Math.Min(1 + (i % 3), bytes.Length - i);
            last = last.Append(bytes.AsMemory(i, len));
            i += len;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload) =>
        Concat([(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags,
            (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream], payload);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
