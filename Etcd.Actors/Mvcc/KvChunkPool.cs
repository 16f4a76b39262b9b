using System.Buffers;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The chunks <see cref="Core.EncodedKvs"/> holds a large range's answer in: arrays of one size, at or above the
/// 85,000 bytes that put an array on the large object heap, so that no young collection ever copies one, kept for
/// reuse up to a bound and then let go. A chunk comes back when the response is written (KvMethodBinder) or the read
/// is dropped; one that never comes back (a call that ended before its response was written) is left to the collector.
/// A pooled array still holds an earlier response's bytes; EncodedKvs writes before it reads and copies out only what
/// it wrote.
/// </summary>
public sealed class KvChunkPool : ArrayPool<byte>
{
    /// <summary>Bytes of a chunk: 256 KiB, ~900 rows of 256-byte values.</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>The process's pool: up to 64 chunks (16 MiB) kept between large reads.</summary>
    public static KvChunkPool Ranges { get; } = new(ChunkBytes, 64);

    private readonly int _chunkBytes;
    private readonly int _maxKept;
    private readonly Stack<byte[]> _kept = new();
    private readonly Lock _gate = new();

    public KvChunkPool(int chunkBytes, int maxKept)
    {
        if (chunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, "a chunk holds at least one byte");
        if (maxKept < 0) throw new ArgumentOutOfRangeException(nameof(maxKept), maxKept, "cannot keep fewer than none");
        _chunkBytes = chunkBytes;
        _maxKept = maxKept;
    }

    /// <summary>Chunks kept for reuse now.</summary>
    public int Kept
    {
        get
        {
            lock (_gate) return _kept.Count;
        }
    }

    /// <summary>A chunk, or for more than a chunk's bytes an array of exactly that size (never kept).</summary>
    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength > _chunkBytes) return GC.AllocateUninitializedArray<byte>(minimumLength);
        lock (_gate)
        {
            if (_kept.TryPop(out var chunk)) return chunk;
        }
        return GC.AllocateUninitializedArray<byte>(_chunkBytes);
    }

    /// <summary>Keeps a chunk for reuse while fewer than the bound are kept; anything else is left to the collector.</summary>
    public override void Return(byte[] array, bool clearArray = false)
    {
        if (array.Length != _chunkBytes) return;
        if (clearArray) Array.Clear(array);
        lock (_gate)
        {
            if (_kept.Count < _maxKept) _kept.Push(array);
        }
    }
}
