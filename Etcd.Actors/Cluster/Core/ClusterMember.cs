namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// One member of the cluster as every replica records it (etcd's membership.Member): the Raft attributes
/// (peer URLs, learner or voter) come from conf change entries, the name and client URLs from the member's
/// own publish (<see cref="MemberTable.SetAttributes"/>). Immutable, with value equality over the URL lists.
/// </summary>
public sealed record ClusterMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner)
{
    /// <summary>etcd's IsStarted: a member has published its name once it runs, so an unnamed one has never started.</summary>
    public bool IsStarted => Name.Length > 0;

    public bool Equals(ClusterMember? other) =>
        other is not null && Id == other.Id && Name == other.Name && IsLearner == other.IsLearner
        && PeerUrls.SequenceEqual(other.PeerUrls) && ClientUrls.SequenceEqual(other.ClientUrls);

    public override int GetHashCode() => HashCode.Combine(Id, Name, IsLearner, PeerUrls.Count, ClientUrls.Count);

    public override string ToString() =>
        $"{{ID:{Id:x} Name:{Name} PeerURLs:[{string.Join(' ', PeerUrls)}] ClientURLs:[{string.Join(' ', ClientUrls)}] IsLearner:{IsLearner}}}";
}
