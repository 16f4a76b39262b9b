namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// What etcd's <c>store.HashByRev</c> returns: the CRC-32C over the kept key revisions, the store's current
/// revision (HashKV's header revision) and its compacted revision (-1 when never compacted).
/// </summary>
public sealed record HashKvResult(uint Hash, long CurrentRevision, long CompactRevision);
