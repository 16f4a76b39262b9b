using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Cluster;

/// <summary>
/// The members --initial-cluster names, with etcd's ids (sha1 of peer URLs + token), and what a new
/// cluster's log starts with: one AddNode conf change per member, in id order, whose context is the
/// member (name and peer URLs), as etcd bootstraps its raft log.
/// </summary>
public sealed class InitialCluster
{
    private InitialCluster(IReadOnlyList<Member> members, ulong clusterId)
    {
        Members = members;
        ClusterId = clusterId;
    }

    public IReadOnlyList<Member> Members { get; }
    public ulong ClusterId { get; }

    /// <summary>
    /// The cluster --initial-cluster (<paramref name="initialCluster"/>: name and peer URLs, in flag order) and
    /// --initial-cluster-token (<paramref name="token"/>) name. Plain values, so this part does not read the facade's
    /// settings (see Etcd.Specs/Architecture/Parts.cs).
    /// </summary>
    public static InitialCluster From(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> initialCluster, string token)
    {
        var members = initialCluster
            .Select(m =>
            {
                var member = new Member { ID = MemberIds.MemberId(m.Value, token), Name = m.Key };
                member.PeerURLs.AddRange(m.Value);
                return member;
            })
            .OrderBy(m => m.ID)
            .ToArray();
        return new InitialCluster(members, MemberIds.ClusterId(members.Select(m => m.ID)));
    }

    /// <summary>The member named <paramref name="name"/> (--name), which the settings validation guarantees exists.</summary>
    public Member Self(string name) => Members.First(m => m.Name == name);

    public IReadOnlyList<ConfChange> BootstrapChanges() =>
        Members.Select(m => new ConfChange { Type = ConfChangeType.ConfChangeAddNode, NodeId = m.ID, Context = m.ToByteString() }).ToArray();

    public IReadOnlyDictionary<ulong, IReadOnlyList<string>> PeerUrls() =>
        Members.ToDictionary(m => m.ID, m => (IReadOnlyList<string>)m.PeerURLs.ToArray());
}
