using System.Buffers.Binary;
using System.Numerics;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum etcd's HashKV uses
/// (Go's <c>crc32.MakeTable(crc32.Castagnoli)</c>): initial value and final XOR 0xFFFFFFFF, as RFC 3720
/// §B.4 specifies it. The BCL's <see cref="BitOperations.Crc32C(uint, ulong)"/> does the reflected update
/// without the inversions (SSE4.2/ARM instructions when present, a table otherwise), so this type only adds
/// the inversions and feeds it eight bytes at a time. System.IO.Hashing has CRC-32 (IEEE) only.
/// Streaming: <see cref="Append"/> any number of times, then <see cref="Value"/>.
/// </summary>
public struct Crc32C
{
    // The finished checksum so far. Go's crc32.Update does the same: invert, update, invert, so appending
    // in pieces equals one call and the default (0) is the checksum of nothing.
    private uint _value;

    public void Append(ReadOnlySpan<byte> data)
    {
        var crc = ~_value;
        while (data.Length >= 8)
        {
            // Little-endian load: the CRC instruction consumes the lowest-addressed byte first.
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        _value = ~crc;
    }

    /// <summary>The checksum of everything appended so far.</summary>
    public readonly uint Value => _value;

    /// <summary>CRC-32C of one buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var c = new Crc32C();
        c.Append(data);
        return c.Value;
    }
}
