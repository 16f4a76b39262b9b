using System.Text;
using Etcd.Node.AuthorityFix;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// The HPACK :authority rewriter that lets etcdctl's "passthrough:///http://host:port" dials past Kestrel:
/// ordinary blocks (RFC 7541 C.3, C.4) stay as they are, a scheme-prefixed :authority becomes host:port.
/// </summary>
public sealed class AuthorityHeaderRewriterSpecs
{
    [Theory]
    [InlineData("828684410f7777772e6578616d706c652e636f6d")] // C.3.1
    [InlineData("828684be58086e6f2d6361636865")] // C.3.2
    [InlineData("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565")] // C.3.3
    [InlineData("828684418cf1e3c2e5f23a6ba0ab90f4ff")] // C.4.1: Huffman-coded www.example.com
    [InlineData("828684be5886a8eb10649cbf")] // C.4.2
    [InlineData("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")] // C.4.3
    [InlineData("3fe11f82")] // a dynamic table size update (4096), then :method GET
    [InlineData("")]
    public void Leaves_ordinary_blocks_alone(string hex)
    {
        Assert.False(Rewrite(Convert.FromHexString(hex), out _));
    }

    [Theory]
    [InlineData(0x40)] // literal with incremental indexing, name index 1
    [InlineData(0x00)] // literal without indexing
    [InlineData(0x10)] // never indexed
    public void Strips_the_scheme_of_a_plain_authority(byte representation)
    {
        var prefix = (byte)(representation | 0x01); // name: static table entry 1, :authority
        var block = Concat([0x82, 0x86, 0x84, prefix, 21], Ascii("http://127.0.0.1:2379"), [0x5f, 0x10], Ascii("application/grpc"));
        Assert.True(Rewrite(block, out var rewritten));
        Assert.Equal(Concat([0x82, 0x86, 0x84, prefix, 14], Ascii("127.0.0.1:2379"), [0x5f, 0x10], Ascii("application/grpc")), rewritten);
    }

    [Fact]
    public void Strips_the_scheme_of_a_huffman_coded_authority()
    {
        var block = Concat([0x83, 0x86, 0x41, 0x80 | 15], Convert.FromHexString("9d29aee30c044eae05c0b86e09975f"), [0x44, 0x02], Ascii("/x"));
        Assert.True(Rewrite(block, out var rewritten));
        Assert.Equal(Concat([0x83, 0x86, 0x41, 14], Ascii("127.0.0.1:2379"), [0x44, 0x02], Ascii("/x")), rewritten);
    }

    [Fact]
    public void Matches_a_literal_authority_name_plain_or_huffman_coded()
    {
        var plainName = Concat([0x40, 10], Ascii(":authority"), [21], Ascii("http://127.0.0.1:2379"));
        Assert.True(Rewrite(plainName, out var rewritten));
        Assert.Equal(Concat([0x40, 10], Ascii(":authority"), [14], Ascii("127.0.0.1:2379")), rewritten);

        var huffmanName = Concat([0x00, 0x88], Convert.FromHexString("b83b5339ec327d7f"), [21], Ascii("http://127.0.0.1:2379"));
        Assert.True(Rewrite(huffmanName, out rewritten));
        Assert.Equal(Concat([0x00, 0x88], Convert.FromHexString("b83b5339ec327d7f"), [14], Ascii("127.0.0.1:2379")), rewritten);
    }

    [Fact]
    public void Drops_a_path_and_keeps_other_fields_with_the_same_value()
    {
        // x-target (literal name) carries the same value but is not :authority: it stays.
        var block = Concat([0x40, 8], Ascii("x-target"), [21], Ascii("http://127.0.0.1:2379"), [0x01, 26], Ascii("passthrough:///host:1/path"));
        Assert.True(Rewrite(block, out var rewritten));
        Assert.Equal(Concat([0x40, 8], Ascii("x-target"), [21], Ascii("http://127.0.0.1:2379"), [0x01, 6], Ascii("host:1")), rewritten);
    }

    [Fact]
    public void Puts_a_valid_host_where_nothing_is_left()
    {
        Assert.True(Rewrite(Concat([0x01, 8], Ascii("unix:///")), out var rewritten));
        Assert.Equal(Concat([0x01, 9], Ascii("localhost")), rewritten);
    }

    [Fact]
    public void Handles_a_value_length_beyond_the_prefix()
    {
        var host = new string('h', 200) + ":1";
        var block = Concat([0x41, 0x7f, 209 - 127], Ascii("http://" + host)); // length 209 = 127 + 82 (RFC 7541 §5.1)
        Assert.True(Rewrite(block, out var rewritten));
        Assert.Equal(Concat([0x41, 0x7f, 202 - 127], Ascii(host)), rewritten);
    }

    [Theory]
    [InlineData("41")] // name index, then nothing
    [InlineData("4115687474703a2f2f")] // a value shorter than its length says
    [InlineData("ff")] // an index whose continuation never comes
    public void Leaves_invalid_blocks_to_kestrel(string hex)
    {
        Assert.False(Rewrite(Convert.FromHexString(hex), out _));
    }

    [Theory]
    [InlineData("828684410f7777772e6578616d706c652e636f6d", "Fine")] // C.3.1: plain www.example.com
    [InlineData("828684418cf1e3c2e5f23a6ba0ab90f4ff", "Fine")] // C.4.1: Huffman-coded www.example.com
    [InlineData("828684be58086e6f2d6361636865", "Absent")] // C.3.2: the authority only by index
    [InlineData("828684", "Absent")]
    [InlineData("8286844115687474703a2f2f3132372e302e302e313a32333739", "Rewritten")] // http://127.0.0.1:2379
    [InlineData("41ff", "Unreadable")]
    public void Says_what_it_found_so_a_fine_connection_can_be_left_alone(string hex, string expected)
    {
        var block = Convert.FromHexString(hex);
        var output = new byte[AuthorityHeaderRewriter.MaxRewrittenLength(block.Length)];
        Assert.Equal(expected, AuthorityHeaderRewriter.Inspect(block, output, out _).ToString());
    }

    internal static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    internal static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static bool Rewrite(byte[] block, out byte[] rewritten)
    {
        var output = new byte[AuthorityHeaderRewriter.MaxRewrittenLength(block.Length)];
        var changed = AuthorityHeaderRewriter.TryRewrite(block, output, out var n);
        rewritten = output[..n];
        return changed;
    }
}
