using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Who this RaftActor is and how its membership starts. <paramref name="Bootstrap"/> holds one AddNode change
/// per initial member of a new cluster (context: the member's etcdserverpb.Member); it is used only when the
/// journal is empty. Null means the member joins an existing cluster (or restarts): it learns the membership
/// from the log, a snapshot or the leader. <paramref name="PeerUrls"/> tells where the members known from the
/// flags listen, until the member table (MVCC) takes over.
/// </summary>
public sealed record RaftMember(
    ulong Id,
    ulong ClusterId,
    IReadOnlyList<ConfChange>? Bootstrap,
    IReadOnlyDictionary<ulong, IReadOnlyList<string>> PeerUrls)
{
    /// <summary>A new cluster of the given voters, with no peer addresses (actor specs).</summary>
    public static RaftMember NewCluster(ulong id, IReadOnlyList<ulong> voters) =>
        new(id, 0, voters.Select(v => new ConfChange { Type = ConfChangeType.ConfChangeAddNode, NodeId = v }).ToArray(),
            new Dictionary<ulong, IReadOnlyList<string>>());
}
