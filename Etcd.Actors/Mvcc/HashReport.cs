namespace Etcd.Actors.Mvcc;

/// <summary>
/// What Maintenance.Hash and HashKV report, as the store knows it: the hash, the compacted revision it started from
/// (HashKV only; 0 for Hash) and the header (its revision is the store's current one). The facade builds etcd's
/// <c>HashResponse</c> / <c>HashKVResponse</c> from it.
/// </summary>
public sealed record HashReport(uint Hash, long CompactRevision, ReplyHeader Header);
