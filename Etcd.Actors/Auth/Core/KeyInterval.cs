using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// A half-open key interval <c>[Begin, End)</c>; a null <see cref="End"/> is the end of the key space. One key is
/// <c>[key, key + "\0")</c>, as etcd's adt.NewBytesAffinePoint makes it: no key sorts between the two.
/// </summary>
public readonly record struct KeyInterval(ByteString Begin, ByteString? End)
{
    /// <summary>A permission's interval, with etcd's range_end conventions (getMergedPerms in range_perm_cache.go).</summary>
    public static KeyInterval Of(ByteString key, ByteString rangeEnd) =>
        rangeEnd.Length == 0 ? new(key, KeyBytes.Successor(key))
        : KeyBytes.IsOpenEnded(rangeEnd) ? new(key, null)
        : new(key, rangeEnd);

    /// <summary>Whether this interval ends at or after <paramref name="end"/> (null = the end of the key space).</summary>
    public bool EndsAtOrAfter(ByteString? end) => End is null || (end is not null && KeyBytes.Compare(End, end) >= 0);
}
