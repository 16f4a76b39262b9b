namespace Etcd.Actors.Mvcc;

/// <summary>
/// Who answered and at which point (etcd's <c>ResponseHeader</c> as the server knows it): this member's cluster and
/// member id, the store's current revision and the Raft term. The facade turns it into the gRPC header.
/// </summary>
public sealed record ReplyHeader(ulong ClusterId, ulong MemberId, long Revision, ulong RaftTerm);
