using Etcd.Actors.Mvcc.Core;
using Google.Protobuf;

namespace Etcd.Actors.Watch.Core;

/// <summary>
/// What one watcher watches, in etcd's convention (etcd's watcher key/end): <see cref="End"/> null is the single
/// key <see cref="Key"/>; empty is every key ≥ <see cref="Key"/> (a request's range_end "\0"); otherwise the
/// half-open interval [Key, End) (a prefix is the client's range_end = prefix + 1).
/// </summary>
public readonly record struct KeyRange(ByteString Key, ByteString? End)
{
    public bool IsSingleKey => End is null;

    public bool IsFromKey => End is { IsEmpty: true };

    public bool Contains(ByteString key)
    {
        if (End is null) return key.Equals(Key);
        if (ByteKeyComparer.CompareKeys(key, Key) < 0) return false;
        return End.IsEmpty || ByteKeyComparer.CompareKeys(key, End) < 0;
    }

    /// <summary>
    /// The range a WatchCreateRequest asks for, normalised as etcd's v3rpc does: an empty key is "\0" (the
    /// smallest key), an empty range_end a single key, range_end "\0" every key from <paramref name="key"/> on.
    /// Null when the range is empty (key ≥ range_end): etcd refuses it with "mvcc: watcher range is empty".
    /// </summary>
    public static KeyRange? FromRequest(ByteString key, ByteString rangeEnd)
    {
        if (key.IsEmpty) key = ZeroKey;
        if (rangeEnd.IsEmpty) return new KeyRange(key, null);
        if (rangeEnd.Length == 1 && rangeEnd.Span[0] == 0) return new KeyRange(key, ByteString.Empty);
        if (ByteKeyComparer.CompareKeys(key, rangeEnd) >= 0) return null;
        return new KeyRange(key, rangeEnd);
    }

    private static readonly ByteString ZeroKey = ByteString.CopyFrom(0);
}
