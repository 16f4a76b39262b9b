using Etcd.Actors.Cluster.Core;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The applied member table as Cluster.MemberList shows it: <paramref name="Members"/> ordered by id. A domain
/// record: the facade builds etcd's <c>MemberListResponse</c> from it.
/// </summary>
public sealed record MemberListing(ReplyHeader Header, IReadOnlyList<ClusterMember> Members);
