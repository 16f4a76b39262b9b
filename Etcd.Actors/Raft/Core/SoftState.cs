namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Volatile state worth telling the host about (who leads, which role we play); never persisted.
/// <para>
/// <paramref name="LeadStart"/> is, while this node leads, the index of the empty entry it appended on becoming leader
/// (0 otherwise). Every entry before it is from an earlier term, so once the state machine has applied it, everything
/// committed before this leadership is applied: the lease manager promotes its lessor only then (etcd promotes when it
/// applies that entry, etcdserver's applyEntryNormal).
/// </para>
/// </summary>
public readonly record struct SoftState(ulong Lead, RaftRole Role, ulong LeadStart);
