using System.Buffers;
using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// The <c>kvs</c> entries of a RangeResponse as the bytes the generated serializer would write for them (field 2, one
/// length-delimited KeyValue each, in order), kept in chunks rented from a pool. A large range is read in steps
/// (RangeCursor) and used to keep every row as a KeyValue with two ByteStrings over a slab until the response was
/// written: those objects outlived several young collections, were promoted and copied, and that cost CPU
/// (docs/benchmarks.md, "Large ranges as bytes": ~20 % of a 1,000-key range's). Encoded as each step reads them, the
/// rows' objects die in the step that made them, and the bytes sit in chunks that the collector never copies
/// (KvChunkPool) and that go back to the pool once the response is written.
/// An entry never straddles two chunks; one larger than a chunk gets an array of its own from the pool.
/// Added to on one thread (the store's), then written and released on another after the read is answered (the
/// answer's task completion orders the two).
/// </summary>
public sealed class EncodedKvs
{
    /// <summary>RangeResponse.kvs: field 2, wire type 2 (length-delimited).</summary>
    internal const byte KvsTag = (2 << 3) | 2;

    private readonly ArrayPool<byte> _pool;
    private readonly int _chunkBytes;
    // Every chunk with its used length, the last one the one being filled.
    private readonly List<byte[]> _chunks = new();
    private readonly List<int> _used = new();
    private bool _released;

    /// <param name="pool">Where the chunks come from and go back to.</param>
    /// <param name="chunkBytes">The size asked of the pool for a chunk (an entry larger than that asks for its own size).</param>
    public EncodedKvs(ArrayPool<byte> pool, int chunkBytes)
    {
        if (chunkBytes < 64) throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, "a chunk holds at least 64 bytes");
        _pool = pool;
        _chunkBytes = chunkBytes;
    }

    /// <summary>Entries added.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of all the entries.</summary>
    public long Length { get; private set; }

    /// <summary>Chunks held (for the specs: none after <see cref="Release"/>).</summary>
    public int Chunks => _chunks.Count;

    /// <summary>Appends <paramref name="kv"/> as one <c>kvs</c> entry.</summary>
    public void Add(KeyValue kv)
    {
        if (_released) throw new InvalidOperationException("encoded key-values added to after their release");
        var size = kv.CalculateSize();
        var need = 1 + CodedOutputStream.ComputeLengthSize(size) + size;
        var into = Room(need);
        into[0] = KvsTag;
        var at = 1 + WriteVarint(into[1..], (uint)size);
        kv.WriteTo(into.Slice(at, size));
        // Counted only once written: bytes of an entry that failed halfway are never written out.
        _used[^1] += need;
        Length += need;
        Count++;
    }

    /// <summary>Writes every entry, in order, to <paramref name="writer"/>.</summary>
    public void WriteTo(IBufferWriter<byte> writer)
    {
        if (_released) throw new InvalidOperationException("encoded key-values written after their release");
        for (var i = 0; i < _chunks.Count; i++) writer.Write(_chunks[i].AsSpan(0, _used[i]));
    }

    /// <summary>Gives every chunk back to the pool, once; the entries are gone afterwards.</summary>
    public void Release()
    {
        // Once: a chunk in the pool twice would be handed to two responses. One owner calls it (EncodedRanges.TryTake
        // decides who), so a flag is enough.
        if (_released) return;
        _released = true;
        foreach (var chunk in _chunks) _pool.Return(chunk);
        _chunks.Clear();
        _used.Clear();
        Count = 0;
        Length = 0;
    }

    // need bytes free at the end of the last chunk (a new one when it lacks them), not yet counted as used.
    private Span<byte> Room(int need)
    {
        var last = _chunks.Count - 1;
        if (last < 0 || _chunks[last].Length - _used[last] < need)
        {
            _chunks.Add(_pool.Rent(Math.Max(need, _chunkBytes)));
            _used.Add(0);
            last++;
        }
        return _chunks[last].AsSpan(_used[last], need);
    }

    // A base-128 varint, as CodedOutputStream writes a length.
    private static int WriteVarint(Span<byte> into, uint value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            into[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[n++] = (byte)value;
        return n;
    }
}
