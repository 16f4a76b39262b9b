namespace Etcd.Actors.Corruption.Core;

/// <summary>One member's HashKV: the hash, the revision it covers (the store's current one) and its compacted revision.</summary>
public readonly record struct HashKvSample(uint Hash, long Revision, long CompactRevision);
