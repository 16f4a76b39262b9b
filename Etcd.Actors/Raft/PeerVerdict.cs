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

    /// <summary>
    /// The envelope names this member as its sender: a member never writes to itself over the network (its core's
    /// acks of its own writes stay inside <c>RaftNode</c>), so this is a forgery or a copy of our own traffic.
    /// </summary>
    FromSelf,

    /// <summary>The Raft message names a sender other than the envelope's, or a recipient other than this member.</summary>
    SenderMismatch,

    /// <summary>
    /// A Raft message only this member's own core steps (etcd-io/raft's <c>IsLocalMsg</c>, plus MsgProp, which
    /// members forward as <c>ForwardedProposals</c>), or one without a term (how <c>RaftNode.Step</c> marks a local
    /// message: it skips the term checks).
    /// </summary>
    LocalOnly,
}
