namespace Etcd.Actors.Raft;

/// <summary>What <see cref="PeerTrust.Check"/> decided about one <c>PeerEnvelope</c>.</summary>
public enum PeerVerdict
{
    Accepted,

    /// <summary>Another cluster's message (etcd: "request cluster ID mismatch", HTTP 412).</summary>
    ClusterMismatch,

    /// <summary>Our cluster, but meant for another member (etcd checks X-Raft-To: "ID mismatch").</summary>
    WrongRecipient,

    /// <summary>An envelope with no body, or with a body this build does not know.</summary>
    NoBody,
}
