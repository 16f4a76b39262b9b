using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class KeyGenSpecs
{
    [Theory]
    [InlineData(0, new byte[] { 0 })]
    [InlineData(1, new byte[] { 2 })]
    [InlineData(-1, new byte[] { 1 })]
    [InlineData(63, new byte[] { 126 })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(99999, new byte[] { 0xBE, 0x9A, 0x0C })]
    public void PutVarint_matches_Go(long x, byte[] expected)
    {
        var buf = new byte[10];
        int n = KeyGen.PutVarint(buf, x);
        Assert.Equal(expected, buf[..n]);
    }

    [Fact]
    public void Key_is_padded_to_key_size() =>
        Assert.Equal(new byte[] { 0x80, 0x01, 0, 0, 0, 0, 0, 0 }, KeyGen.Key(8, 64));
}
