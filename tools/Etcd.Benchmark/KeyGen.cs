namespace Etcd.Benchmark;

/// <summary>
/// Key encoding identical to etcd's benchmark: <c>binary.PutVarint(k, int64(n))</c> into a
/// zeroed buffer of key-size bytes, so the same flags touch the same keys on either server.
/// </summary>
public static class KeyGen
{
    /// <summary>Go's binary.PutVarint (zig-zag, then unsigned LEB128). Returns bytes written.</summary>
    public static int PutVarint(Span<byte> buf, long x)
    {
        ulong ux = (ulong)x << 1;
        if (x < 0)
        {
            ux = ~ux;
        }
        int i = 0;
        while (ux >= 0x80)
        {
            buf[i++] = (byte)(ux | 0x80);
            ux >>= 7;
        }
        buf[i] = (byte)ux;
        return i + 1;
    }

    public static int VarintLength(long x)
    {
        Span<byte> tmp = stackalloc byte[10];
        return PutVarint(tmp, x);
    }

    /// <summary>A key-size byte key for index n (trailing bytes zero).</summary>
    public static byte[] Key(int keySize, long n)
    {
        var k = new byte[keySize];
        PutVarint(k, n);
        return k;
    }
}
