using System.Text;
using Etcd.Node.AuthorityFix;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>The HPACK Huffman decoder against the Huffman-coded strings of RFC 7541 Appendix C.4 and C.6.</summary>
public sealed class HpackHuffmanSpecs
{
    [Theory]
    [InlineData("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")] // C.4.1
    [InlineData("a8eb10649cbf", "no-cache")] // C.4.2
    [InlineData("25a849e95ba97d7f", "custom-key")] // C.4.3
    [InlineData("25a849e95bb8e8b4bf", "custom-value")] // C.4.3
    [InlineData("6402", "302")] // C.6.1
    [InlineData("aec3771a4b", "private")] // C.6.1
    [InlineData("d07abe941054d444a8200595040b8166e082a62d1bff", "Mon, 21 Oct 2013 20:13:21 GMT")] // C.6.1
    [InlineData("9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com")] // C.6.1
    [InlineData("9d29aee30c044eae05c0b86e09975f", "http://127.0.0.1:2379")]
    [InlineData("b83b5339ec327d7f", ":authority")]
    [InlineData("", "")]
    public void Decodes_the_rfc_examples(string hex, string text)
    {
        var buffer = new byte[64];
        Assert.True(HpackHuffman.TryDecode(Convert.FromHexString(hex), buffer, out var n));
        Assert.Equal(text, Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Theory]
    [InlineData("ffffffff")] // EOS inside the string
    [InlineData("00")] // '0' then three padding bits that are not ones
    [InlineData("f1e3c2e5f23a6ba0ab90f4ffff")] // a whole byte of padding
    public void Refuses_invalid_strings(string hex)
    {
        Assert.False(HpackHuffman.TryDecode(Convert.FromHexString(hex), new byte[64], out _));
    }

    [Fact]
    public void Refuses_a_destination_too_small()
    {
        Assert.False(HpackHuffman.TryDecode(Convert.FromHexString("f1e3c2e5f23a6ba0ab90f4ff"), new byte[14], out _));
    }

    [Fact]
    public void Decodes_a_shortest_and_a_longer_code()
    {
        // From the RFC's table: '0' = 00000 (5 bits), '\0' = 1111111111000 (13 bits).
        var buffer = new byte[8];
        Assert.True(HpackHuffman.TryDecode([0b00000_111], buffer, out var n)); // '0' + 3 bits of EOS padding
        Assert.Equal([(byte)'0'], buffer[..n]);
        Assert.True(HpackHuffman.TryDecode([0b11111111, 0b11000_111], buffer, out n)); // 0x1ff8 (13 bits) + padding
        Assert.Equal([(byte)0], buffer[..n]);
    }
}
