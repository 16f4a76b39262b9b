namespace Etcd.Actors.Corruption.Core;

/// <summary>
/// What one peer answered when asked for its HashKV at a revision: its sample, or etcd's error message
/// (compacted, future revision), or a transport failure (<paramref name="Error"/> with no sample).
/// </summary>
public sealed record PeerHashKv(ulong MemberId, IReadOnlyList<string> PeerUrls, HashKvSample? Sample, string? Error);
