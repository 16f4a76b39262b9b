using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// The check every message from the peer port passes, as etcd's rafthttp checks the X-Etcd-Cluster-ID and
/// X-Raft-To headers of every peer request (etcd-io/etcd server/etcdserver/api/rafthttp/http.go,
/// <c>checkClusterCompatibilityFromHeader</c>). Without TLS this guards against mistakes (a member of another
/// cluster given one of our peer URLs), not against an attacker, who can read the ids off the wire or ask for
/// them (PeerClusterQuery): see docs/design.md, "Transport".
/// </summary>
public static class PeerTrust
{
    public static PeerVerdict Check(PeerEnvelope e, ulong clusterId, ulong memberId)
    {
        if (e.ClusterId != clusterId) return PeerVerdict.ClusterMismatch;
        if (e.To != memberId) return PeerVerdict.WrongRecipient;
        return e.BodyCase == PeerEnvelope.BodyOneofCase.None ? PeerVerdict.NoBody : PeerVerdict.Accepted;
    }
}
