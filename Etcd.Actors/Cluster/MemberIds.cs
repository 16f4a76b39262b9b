using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Etcd.Actors.Cluster;

/// <summary>
/// Member and cluster IDs derived exactly as etcd derives them for a new cluster, so the same flags
/// give the same IDs as etcd (the default member is 8e9e05c52164694d in cluster cdf818194e3a8c32).
/// </summary>
public static class MemberIds
{
    /// <summary>sha1(sorted peer URLs joined + cluster token), first 8 bytes big-endian.</summary>
    public static ulong MemberId(IEnumerable<string> peerUrls, string clusterToken)
    {
        var sorted = peerUrls.OrderBy(u => u, StringComparer.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(sorted) + clusterToken);
        var hash = SHA1.HashData(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>
    /// The id of a member added at run time (etcd's MemberAdd: membership.NewMember("", urls, "", &amp;now)):
    /// sha1 of the sorted peer URLs joined, then an empty cluster name, then the Unix time in whole seconds as a
    /// decimal; first 8 bytes big-endian. The time makes a re-added member (same URLs) get a fresh id, since a
    /// removed id can never join again. Pass URLs as <see cref="Core.MemberUrls.Normalize"/> returns them.
    /// </summary>
    public static ulong NewMemberId(IEnumerable<string> peerUrls, long unixSeconds) =>
        MemberId(peerUrls, unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>sha1 of the sorted member IDs, each 8 bytes big-endian, first 8 bytes big-endian.</summary>
    public static ulong ClusterId(IEnumerable<ulong> memberIds)
    {
        var ids = memberIds.OrderBy(i => i).ToArray();
        var buf = new byte[ids.Length * 8];
        for (var i = 0; i < ids.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(i * 8), ids[i]);
        var hash = SHA1.HashData(buf);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
