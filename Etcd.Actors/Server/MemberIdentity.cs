namespace Etcd.Actors.Server;

/// <summary>
/// This member's identity, fixed when its data directory is first used: the member and cluster ids and
/// whether it bootstrapped a new cluster or joined an existing one. Persisted next to the journal and read
/// back on every start, so a restart never depends on (possibly changed) --initial-cluster flags — as etcd,
/// which keeps them in its WAL metadata.
/// </summary>
public sealed record MemberIdentity(ulong MemberId, ulong ClusterId, bool Joined);
