using Akka.Actor;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// --initial-cluster-state existing: the member was added with `etcdctl member add` (which gave it an id the
/// cluster chose) and now asks the running members, over Akka.Remote, who is in the cluster; it finds itself
/// by its advertised peer URLs. As etcd, it refuses to start when the cluster does not know it.
/// It does not know the cluster id yet, so <see cref="PeerClusterQuery"/> is the one message members answer
/// without a <see cref="PeerEnvelope"/>: read-only, like etcd's GET /members on the peer port, and sent by actor
/// selection to the gateway, the one path Akka.Remote's untrusted mode lets selections reach (RaftHocon.PeerPort).
/// From the answer on, the member sends everything in envelopes with the cluster id it learned.
/// </summary>
public static class ClusterJoin
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Rounds over the peers before giving up (each round asks every peer once).</summary>
    private const int MaxRounds = 30;

    public static async Task<(ulong MemberId, ulong ClusterId, PeerClusterInfo Cluster)> FindSelfAsync(ActorSystem system, EtcdServerSettings settings, CancellationToken ct)
    {
        var self = settings.AdvertisePeerUrls.ToHashSet(StringComparer.Ordinal);
        var peers = settings.InitialCluster.SelectMany(m => m.Value).Where(u => !self.Contains(u)).Distinct().ToArray();
        if (peers.Length == 0)
            throw new ArgumentException("--initial-cluster-state=existing needs the running members' peer URLs in --initial-cluster");
        var protocol = ((ExtendedActorSystem)system).Provider.DefaultAddress.Protocol;
        Exception? last = null;
        for (var round = 0; round < MaxRounds; round++)
        {
            foreach (var peer in peers)
            {
                ct.ThrowIfCancellationRequested();
                PeerClusterInfo info;
                try
                {
                    info = await system.ActorSelection(PeerDirectory.RaftActorPath(peer, protocol))
                        .Ask<PeerClusterInfo>(new PeerClusterQuery(), AskTimeout, ct).ConfigureAwait(false);
                }
                catch (AskTimeoutException e)
                {
                    last = e;
                    continue;
                }
                if (info.Members.Count == 0) continue; // that peer has not applied its membership yet
                var me = info.Members.FirstOrDefault(m => m.PeerURLs.Any(self.Contains));
                if (me is null)
                    throw new InvalidOperationException(
                        $"error validating peerURLs {{ClusterID:{info.ClusterID:x} Members:[{string.Join(' ', info.Members.Select(m => $"{m.ID:x}={string.Join(',', m.PeerURLs)}"))}]}}: " +
                        $"no member has peer URLs {string.Join(',', self)}; add it with `etcdctl member add` first");
                if (info.Removed.Contains(me.ID)) throw new InvalidOperationException("the member has been permanently removed from the cluster");
                return (me.ID, info.ClusterID, info);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"could not reach any member of the cluster at {string.Join(',', peers)}: {last?.Message}");
    }
}
