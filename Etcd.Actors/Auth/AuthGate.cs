using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth;

/// <summary>
/// What the gRPC edge of one member knows about auth, shared between the edge's threads and the store actor:
/// a copy of the applied <see cref="AuthStore"/> published after each durable batch that changed it (its state never
/// mutated once published; only its per-user permission cache fills, under <c>_checkLock</c>), and the member's simple
/// tokens, which the store assigns when it applies an Authenticate entry (<c>_tokensLock</c> makes look, sweep and
/// assign one step) and the edge resolves on every request without a lock (<see cref="SimpleTokens"/> is thread-safe
/// and its lookups take none). Tokens are member-local and not persisted, as in etcd: a restarted member forgets them
/// and its clients authenticate again.
/// </summary>
public sealed partial class AuthGate
{
    /// <summary>Most live tokens per member; past it the least recently used one is evicted (SimpleTokens).</summary>
    public const int TokenCapacity = 100_000;

    private readonly object _tokensLock = new();
    private readonly object _checkLock = new();
    private readonly SimpleTokens _tokens;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Lazy<IPasswordHasher> _hasher;
    private volatile AuthStore _published = new();
    // A sequence count around each Publish (odd while _published is being replaced, even once it is in place), so a
    // kept keep-alive answer (AuthGate.Leases.cs) is used, and kept, only at an even generation that did not move while
    // the state was read: an answer kept at generation g was made from g's state and no other.
    private long _generation;
    private ulong _applied;

    /// <param name="hasher">Made on first use: bcrypt's dummy hash costs one hash at the configured cost.</param>
    /// <param name="jwt">With <c>--auth-token jwt,...</c>: tokens are JWTs, verified on their own, and the simple table stays empty.</param>
    public AuthGate(TimeSpan tokenTtl, Func<IPasswordHasher> hasher, TimeProvider? time = null, JwtTokens? jwt = null)
    {
        Jwt = jwt;
        _tokens = new SimpleTokens(tokenTtl, TokenCapacity);
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _hasher = new Lazy<IPasswordHasher>(hasher, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>A gate with etcd's defaults (simple tokens, 300 s, bcrypt cost 10).</summary>
    public static AuthGate Default() => new(SimpleTokens.DefaultTtl, () => new BcryptPasswordHasher(BcryptPasswordHasher.DefaultCost));

    public IPasswordHasher Hasher => _hasher.Value;

    /// <summary>The member's JWT signer and verifier, or null with simple tokens.</summary>
    public JwtTokens? Jwt { get; }

    /// <summary>Whether auth was enabled at the last durable batch this member applied.</summary>
    public bool Enabled => _published.Enabled;

    /// <summary>The auth revision at the last durable batch (what a resolved token is checked at).</summary>
    public ulong Revision => _published.Revision;

    /// <summary>The index of the last durable batch that reached the gate (a token's index above it may be unknown yet).</summary>
    public ulong Applied => Volatile.Read(ref _applied);

    public int TokenCount => _tokens.Count;

    private TimeSpan Now => _time.GetElapsedTime(_start);

    /// <summary>The store's applied state after a durable batch: <paramref name="copy"/> is never changed after this.</summary>
    public void Publish(AuthStore copy, ulong applied)
    {
        Interlocked.Increment(ref _generation); // odd: a state is being replaced
        _published = copy;
        Interlocked.Increment(ref _generation); // even again: copy is the state of this generation
        Volatile.Write(ref _applied, applied);
    }

    public void SetApplied(ulong applied) => Volatile.Write(ref _applied, applied);

    /// <summary>etcd's CheckPassword against the published state (one bcrypt check, whatever the user).</summary>
    public EtcdError? CheckPassword(string name, string password, out ulong revision) =>
        _published.CheckPassword(name, password, Hasher, out revision);

    /// <summary>etcd's IsAdminPermitted against the published state (reads users only: safe without a lock).</summary>
    public EtcdError? IsAdminPermitted(string user) => _published.IsAdminPermitted(user);

    /// <summary>
    /// etcd's IsRangePermitted against the published state, for checks the edge makes itself (a watch's range), at the
    /// auth revision the caller's token was resolved at (a JWT's own): 0 is no user ("user name is empty"), a revision
    /// older than the published one is "revision of auth store is old", as etcd's isOpPermitted. Under a lock: the check
    /// fills the published copy's permission cache.
    /// </summary>
    public EtcdError? IsRangePermitted(string user, ulong revision, Google.Protobuf.ByteString key, Google.Protobuf.ByteString rangeEnd)
    {
        var store = _published;
        lock (_checkLock) return store.IsRangePermitted(user, revision, key, rangeEnd);
    }

    /// <summary>
    /// READ (or, with <paramref name="write"/>, WRITE) on each of <paramref name="keys"/> at the auth revision a token
    /// was resolved at: the first refusal, or null. etcd's checkLeaseTimeToLive (READ, 3.4.26's fix for CVE-2023-32082),
    /// checkLeaseLeases (READ) and checkLeaseRenew (WRITE, both 3.4.42's fix for CVE-2026-33413). A revision older than
    /// the published one is "revision of auth store is old", as etcd's isOpPermitted. Only the user's permissions are
    /// taken under the lock (the check may fill the published copy's cache); the keys, as many as every leased key of
    /// the member, are checked outside it against that immutable snapshot, so other checks do not wait for them.
    /// </summary>
    public EtcdError? IsEachKeyPermitted(string user, ulong revision, IEnumerable<Google.Protobuf.ByteString> keys, bool write)
    {
        var store = _published;
        PermissionCheck check;
        lock (_checkLock) check = store.CheckFor(user, revision, write ? PermissionType.Write : PermissionType.Read);
        foreach (var key in keys)
        {
            if (check.PermitsKey(key) is { } refused) return refused;
        }
        return null;
    }

    /// <summary>
    /// The token an applied Authenticate entry makes. Applying the same entry again (a store restarted in place is
    /// handed the entries after its durable index again) finds its token already there and keeps it. Under the gate's
    /// lock: the look, the sweep and the assignment are one step for other assignments.
    /// </summary>
    public string AssignToken(string user, string prefix, ulong index)
    {
        lock (_tokensLock)
        {
            var token = $"{prefix}.{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            if (_tokens.Contains(token)) return token;
            _tokens.Expire(Now);
            return _tokens.Assign(user, prefix, index, Now);
        }
    }

    /// <summary>The token's user (refreshing its TTL), or "invalid auth token". No lock: every request of the member comes here.</summary>
    public EtcdError? Resolve(string token, out string user) => _tokens.Resolve(token, Now, out user);

    /// <summary>A deleted user or a changed password ends the user's sessions (etcd's invalidateUser).</summary>
    public void InvalidateUser(string user) => _tokens.InvalidateUser(user);

    /// <summary>Auth disabled: every token goes.</summary>
    public void ClearTokens() => _tokens.Clear();
}
