using Etcd.Api.Mvccpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// One HashKV computation: feed it every backend row in revision order (<see cref="Add"/>); it applies etcd's
/// filters (main revision ≤ the requested one; compacted rows only when kept) and hashes what passes.
/// </summary>
public sealed class HashKvHasher
{
    private readonly long _rev;
    private readonly long _compactRev;
    private readonly IReadOnlySet<Revision> _keep;
    private readonly Func<Revision, bool>? _skip;
    private readonly byte[] _key = new byte[HashKv.RevisionKeyLength + 1];
    private Crc32C _crc;
    private Revision? _last;

    /// <param name="rev">The revision hashed up to (inclusive).</param>
    /// <param name="compactRev">The store's compacted revision (-1 when none).</param>
    /// <param name="keep">What the index keeps at <paramref name="rev"/> (<see cref="HashKv.Keep(IEnumerable{KeyIndex}, long)"/>).</param>
    /// <param name="skip">Rows a compaction under way will delete: not hashed, so that a half-done compaction
    /// hashes as the finished one (etcd 3.4 hashes them when <paramref name="keep"/> is empty).</param>
    public HashKvHasher(long rev, long compactRev, IReadOnlySet<Revision> keep, Func<Revision, bool>? skip = null)
    {
        _rev = rev;
        _compactRev = compactRev;
        _keep = keep;
        _skip = skip;
        _crc.Append(HashKv.KeyBucketName);
    }

    /// <summary>Rows hashed so far.</summary>
    public int Rows { get; private set; }

    public uint Hash => _crc.Value;

    /// <summary>Offers one backend row; rows must come in strictly increasing revision order.</summary>
    public void Add(Revision rev, KeyValue kv, bool tombstone)
    {
        if (_last is { } last && rev <= last)
            throw new InvalidOperationException($"hashkv: rows must come in revision order: {rev} after {last}");
        _last = rev;
        if (rev.Main > _rev) return;
        // etcd: lower = {compactRev + 1, 0}; a row below it counts only if kept, when anything is kept.
        if (rev.Main <= _compactRev && _keep.Count > 0 && !_keep.Contains(rev)) return;
        if (_skip is not null && _skip(rev)) return;
        var n = HashKv.WriteRevisionKey(rev, tombstone, _key);
        _crc.Append(_key.AsSpan(0, n));
        _crc.Append(HashKv.StoredValue(kv, tombstone).ToByteArray());
        Rows++;
    }
}
