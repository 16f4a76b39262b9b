using System.Buffers.Binary;
using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// etcd 3.4's HashKV (mvcc/kvstore.go <c>HashByRev</c>, release-3.4), so that for the same history our hash is
/// a real etcd's: CRC-32C over the key bucket's name <c>"key"</c>, then, for each row of that bucket in
/// revision order with main revision ≤ the requested one, its bucket key (main revision 8 bytes big-endian,
/// <c>'_'</c>, sub revision 8 bytes big-endian, plus <c>'t'</c> for a tombstone) and its value, the marshalled
/// <see cref="KeyValue"/> (a tombstone's is the key alone, as etcd writes it). Rows at or below the compacted
/// revision count only if the index keeps them at the requested revision (<see cref="Keep"/>), unless it keeps
/// none at all: etcd's filter for rows "scheduled for deletion due to compacting", quirks included (a row
/// compaction kept is still skipped once a newer revision of its key is at or below the requested one).
/// </summary>
public static class HashKv
{
    /// <summary>The bucket name etcd hashes first.</summary>
    public static ReadOnlySpan<byte> KeyBucketName => "key"u8;

    /// <summary>Length of a bucket key without the tombstone mark (etcd's revBytesLen).</summary>
    public const int RevisionKeyLength = 17;

    /// <summary>etcd's markTombstone.</summary>
    public const byte TombstoneMark = (byte)'t';

    /// <summary>
    /// Writes etcd's bucket key for <paramref name="rev"/> into <paramref name="dest"/> (at least 18 bytes);
    /// returns its length: 17, or 18 with the tombstone mark.
    /// </summary>
    public static int WriteRevisionKey(Revision rev, bool tombstone, Span<byte> dest)
    {
        BinaryPrimitives.WriteInt64BigEndian(dest, rev.Main);
        dest[8] = (byte)'_';
        BinaryPrimitives.WriteInt64BigEndian(dest[9..], rev.Sub);
        if (!tombstone) return RevisionKeyLength;
        dest[RevisionKeyLength] = TombstoneMark;
        return RevisionKeyLength + 1;
    }

    /// <summary>etcd's <c>treeIndex.Keep(atRev)</c>: what a compaction at <paramref name="atRev"/> would keep, per key.</summary>
    public static HashSet<Revision> Keep(IEnumerable<KeyIndex> keys, long atRev)
    {
        var available = new HashSet<Revision>();
        foreach (var ki in keys) Keep(ki, atRev, available);
        return available;
    }

    /// <summary>
    /// etcd's <c>keyIndex.keep</c>: the newest revision ≤ <paramref name="atRev"/> of the first generation that
    /// is still alive at atRev (or was born after it), unless that revision is the tombstone ending it.
    /// </summary>
    public static void Keep(KeyIndex ki, long atRev, HashSet<Revision> available)
    {
        if (ki.IsEmpty) return;
        var generations = ki.Generations;
        var genIdx = 0;
        var g = generations[0];
        // Skip generations whose tombstone is at or before atRev (etcd's doCompact).
        while (genIdx < generations.Count - 1 && g.Last.Main <= atRev)
        {
            genIdx++;
            g = generations[genIdx];
        }
        if (g.IsEmpty) return;
        var revIndex = g.IndexAtOrBefore(atRev);
        if (revIndex == -1) return;
        // A tombstone of a generation that ended is not kept ("remove any tombstone").
        if (revIndex == g.Revisions.Count - 1 && genIdx != generations.Count - 1) return;
        available.Add(g.Revisions[revIndex]);
    }

    /// <summary>
    /// The value etcd stores for a row: the marshalled key-value; for a tombstone only the key (etcd's
    /// storeTxnWrite.delete writes <c>KeyValue{Key: key}</c>, where this store also remembers the revision).
    /// </summary>
    public static KeyValue StoredValue(KeyValue kv, bool tombstone) => tombstone ? new KeyValue { Key = kv.Key } : kv;
}
