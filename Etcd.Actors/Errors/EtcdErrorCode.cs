namespace Etcd.Actors.Errors;

/// <summary>
/// What kind of failure an <see cref="EtcdError"/> is, in the server's terms. The gRPC edge turns each kind into a
/// status code in one place (Etcd.Node/Services/GrpcErrors.cs, as etcd's <c>toGRPCErrorMap</c> in
/// etcdserver/api/v3rpc/util.go does), so the library itself never names a gRPC status.
/// </summary>
public enum EtcdErrorCode
{
    /// <summary>The request is malformed or not allowed as given (empty key, too large, duplicate key in txn).</summary>
    InvalidRequest,

    /// <summary>A revision or TTL outside what the store has or allows (compacted, future revision).</summary>
    OutOfRange,

    /// <summary>What the request names does not exist (lease, member).</summary>
    NotFound,

    /// <summary>The cluster is not in the state the request needs (not leader, member exists, not a learner).</summary>
    PreconditionFailed,

    /// <summary>Out of a bounded resource: backend quota, pending requests.</summary>
    Exhausted,

    /// <summary>Not now: no leader, stopped, timed out, leader changed; a retry may succeed.</summary>
    Unavailable,

    /// <summary>The data is inconsistent across members.</summary>
    Corrupt,

    /// <summary>etcd has no class for it (it reaches clients as code Unknown).</summary>
    Unclassified,

    /// <summary>The caller is known but its user or role may not do this (auth: permission denied).</summary>
    Forbidden,

    /// <summary>The caller could not be identified: an unknown, malformed or expired auth token.</summary>
    Unauthenticated,
}
