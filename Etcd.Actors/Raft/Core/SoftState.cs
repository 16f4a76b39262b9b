namespace Etcd.Actors.Raft.Core;

/// <summary>Volatile state worth telling the host about (who leads, which role we play); never persisted.</summary>
public readonly record struct SoftState(ulong Lead, RaftRole Role);
