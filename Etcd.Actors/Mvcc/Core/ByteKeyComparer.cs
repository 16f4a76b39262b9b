using Google.Protobuf;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>Orders keys bytewise (unsigned, shorter prefix first), the order etcd's B-tree and bbolt use.</summary>
public sealed class ByteKeyComparer : IComparer<ByteString>, IComparer<KeyIndex>
{
    public static readonly ByteKeyComparer Instance = new();

    public static int CompareKeys(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    public int Compare(ByteString? x, ByteString? y) => CompareKeys(x!, y!);

    public int Compare(KeyIndex? x, KeyIndex? y) => CompareKeys(x!.Key, y!.Key);
}
