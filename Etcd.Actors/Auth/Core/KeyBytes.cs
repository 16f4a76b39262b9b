using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// Byte-wise key order (etcd compares keys with bytes.Compare) and the range_end conventions of etcd's API:
/// an empty range_end is one key, <c>"\0"</c> means every key from <c>key</c> on.
/// </summary>
public static class KeyBytes
{
    public static int Compare(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    /// <summary><c>range_end = "\0"</c>: from <c>key</c> to the end of the key space.</summary>
    public static bool IsOpenEnded(ByteString rangeEnd) => rangeEnd.Length == 1 && rangeEnd[0] == 0;

    /// <summary>The smallest key after <paramref name="key"/>: <c>key + "\0"</c> (nothing sorts between them).</summary>
    public static ByteString Successor(ByteString key)
    {
        var bytes = new byte[key.Length + 1];
        key.Span.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
