using System.Collections.Concurrent;
using Etcd.Actors.Errors;
using Google.Protobuf;

namespace Etcd.Actors.Auth;

/// <summary>
/// The keep-alive check's memory (etcd 3.4.42's checkLeaseRenew: a user other than root needs WRITE on every key
/// attached to the lease, on every renewal). etcd walks the lease's keys on each renewal; here the answer is kept per
/// lease and user with what it depends on (the published auth state's generation, the token's auth revision and the
/// lease's key-set version, <see cref="LeaseKeyVersions"/>), so a client renewing an unchanged lease every few seconds
/// costs a lookup, and the store actor (the apply thread) is asked for the keys only after they or the auth state
/// changed. Bounded: at <see cref="RenewVerdictCapacity"/> entries the memory is emptied and refills as renewals come.
/// </summary>
public sealed partial class AuthGate
{
    /// <summary>Most (lease, user) answers kept; past it all are dropped (each costs one key walk to make again).</summary>
    public const int RenewVerdictCapacity = 10_000;

    private readonly ConcurrentDictionary<(long Lease, string User), RenewVerdict> _renewVerdicts = new();

    /// <summary>Each leased key set's version, written by the store after each durable batch that changed one.</summary>
    public LeaseKeyVersions LeaseKeys { get; } = new();

    /// <summary>
    /// The answer a renewal of <paramref name="lease"/> by <paramref name="user"/> (a token resolved at
    /// <paramref name="revision"/>) got when the lease's keys were at <paramref name="version"/> and the published auth
    /// state was the current one: null when permitted, else the refusal. False when there is none to reuse.
    /// </summary>
    public bool TryRenewVerdict(long lease, string user, ulong revision, long version, out EtcdError? refusal)
    {
        var generation = Interlocked.Read(ref _generation);
        if ((generation & 1) == 0 && _renewVerdicts.TryGetValue((lease, user), out var v) && v.Generation == generation && v.Revision == revision && v.Version == version)
        {
            refusal = v.Refusal;
            return true;
        }
        refusal = null;
        return false;
    }

    /// <summary>
    /// WRITE on each of <paramref name="keys"/> (the lease's keys at <paramref name="version"/>, as the store answered
    /// them), remembered for <see cref="TryRenewVerdict"/>. The generation is read before and after the state the check
    /// uses, and the answer kept only when it was even and did not move: never under a generation whose state it was
    /// not made from.
    /// </summary>
    public EtcdError? CheckRenew(long lease, string user, ulong revision, long version, IReadOnlyCollection<ByteString> keys)
    {
        var generation = Interlocked.Read(ref _generation);
        var refusal = IsEachKeyPermitted(user, revision, keys, write: true);
        if (version == 0) return refusal; // no keys: nothing to walk next time either
        if ((generation & 1) != 0 || Interlocked.Read(ref _generation) != generation) return refusal; // published meanwhile
        if (_renewVerdicts.Count >= RenewVerdictCapacity) _renewVerdicts.Clear();
        _renewVerdicts[(lease, user)] = new RenewVerdict(generation, revision, version, refusal);
        return refusal;
    }

    /// <summary>How many answers are kept (for specs).</summary>
    internal int RenewVerdictCount => _renewVerdicts.Count;

    private sealed record RenewVerdict(long Generation, ulong Revision, long Version, EtcdError? Refusal);
}
