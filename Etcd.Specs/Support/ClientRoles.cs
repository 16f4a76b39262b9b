namespace Etcd.Specs.Support;

/// <summary>
/// Where a client session sends each request: the leader, a follower (where watches and keep-alives live) and the
/// third member (where answers are checked). On one member all three are that member, so one session runs on one
/// member and on three.
/// </summary>
public sealed record ClientRoles(string Leader, string Follower, string Other)
{
    public static ClientRoles Single(NodeProcess node) => new(node.Endpoint, node.Endpoint, node.Endpoint);

    /// <summary>The roles in <paramref name="cluster"/> as its members agree on the leader now.</summary>
    public static async Task<ClientRoles> OfAsync(ProcessCluster cluster)
    {
        var leader = await cluster.LeaderAsync();
        return new(cluster[leader].Endpoint, cluster[(leader + 1) % 3].Endpoint, cluster[(leader + 2) % 3].Endpoint);
    }

    /// <summary>L, F or O in a printed step, so a failure says which member answered.</summary>
    public string NameOf(string endpoint) =>
        endpoint == Leader && endpoint == Follower ? "" : endpoint == Leader ? "L: " : endpoint == Follower ? "F: " : "O: ";
}
