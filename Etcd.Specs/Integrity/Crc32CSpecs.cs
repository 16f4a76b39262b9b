using System.Text;
using Etcd.Actors.Mvcc.Core;
using Xunit;

namespace Etcd.Specs.Integrity;

/// <summary>CRC-32C (Castagnoli) against the test vectors of RFC 3720 §B.4 and the usual check value.</summary>
public sealed class Crc32CSpecs
{
    [Fact]
    public void Rfc3720_vectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void Check_value_and_empty_input()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Appending_in_pieces_equals_one_buffer()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7 + 3)).ToArray();
        foreach (var cut in new[] { 0, 1, 7, 8, 9, 17, 500, 999, 1000 })
        {
            var c = new Crc32C();
            c.Append(data.AsSpan(0, cut));
            c.Append(data.AsSpan(cut));
            Assert.Equal(Crc32C.Compute(data), c.Value);
        }
    }
}
