using ApiMember = Etcd.Api.Etcdserverpb.Member;

namespace Etcd.Actors.Cluster.Core;

/// <summary>Conversions between the table and etcd's wire <see cref="ApiMember"/>.</summary>
public sealed partial class MemberTable
{
    /// <summary>A table from wire members (e.g. what a snapshot or a MembersChanged carries).</summary>
    public static MemberTable FromProto(IEnumerable<ApiMember> members, IEnumerable<ulong> removed) =>
        new(members.Select(FromProto), removed);

    /// <summary>Every member as etcd's MemberList shows it, ordered by id.</summary>
    public IReadOnlyList<ApiMember> ToProto() => _members.Values.Select(ToProto).ToList();

    public static ApiMember ToProto(ClusterMember m)
    {
        var p = new ApiMember { ID = m.Id, Name = m.Name, IsLearner = m.IsLearner };
        p.PeerURLs.AddRange(m.PeerUrls);
        p.ClientURLs.AddRange(m.ClientUrls);
        return p;
    }

    public static ClusterMember FromProto(ApiMember m) =>
        new(m.ID, m.Name, m.PeerURLs.ToArray(), m.ClientURLs.ToArray(), m.IsLearner);
}
