using System.Collections.Concurrent;

namespace Etcd.Actors.Auth;

/// <summary>
/// A version per lease that has keys attached, published by the store actor (its only writer) after each durable
/// batch that attached or detached one of its keys, and read by the gRPC edge's keep-alive check (etcd's
/// checkLeaseRenew), so that a renewal of a lease whose key set and auth state did not change reuses the answer it
/// got last time (<see cref="AuthGate.TryRenewVerdict"/>) instead of asking the store for every key again. A lease
/// without keys (or unknown) reads 0: its renewal needs no permission. Versions come from one counter that never goes
/// back, also across a reopened backend, so a version names exactly one key set.
/// </summary>
public sealed class LeaseKeyVersions
{
    private readonly ConcurrentDictionary<long, long> _versions = new();
    private long _next;

    /// <summary>The lease's key-set version, or 0 when it has no keys attached (or does not exist).</summary>
    public long Of(long lease) => _versions.TryGetValue(lease, out var v) ? v : 0;

    /// <summary>How many leases have keys (for specs).</summary>
    internal int Count => _versions.Count;

    /// <summary>The store, after a batch changed the key set of <paramref name="lease"/>.</summary>
    internal void Changed(long lease, bool hasKeys)
    {
        if (hasKeys) _versions[lease] = Interlocked.Increment(ref _next);
        else _versions.TryRemove(lease, out _);
    }

    /// <summary>
    /// The store, after it opened its backend: every lease in <paramref name="withKeys"/> gets a new version, then every
    /// other one goes. In that order, so a lease that has keys never reads 0 meanwhile (a stale version only makes the
    /// edge ask the store).
    /// </summary>
    internal void Reset(IReadOnlyCollection<long> withKeys)
    {
        var keep = new HashSet<long>(withKeys);
        foreach (var id in keep) Changed(id, hasKeys: true);
        foreach (var id in _versions.Keys)
            if (!keep.Contains(id)) _versions.TryRemove(id, out _);
    }
}
