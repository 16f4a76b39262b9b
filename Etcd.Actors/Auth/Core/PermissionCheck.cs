using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// etcd's isOpPermitted for one user, revision and permission type, decided up to the key: a refusal that holds for
/// every key, everything allowed (auth disabled, the root role), or the user's merged intervals to look each key up in.
/// Immutable, so callers may check many keys with it outside the lock that guards the store's permission cache.
/// </summary>
public readonly struct PermissionCheck
{
    private readonly EtcdError? _refusal;
    private readonly MergedIntervals? _allowed;

    private PermissionCheck(EtcdError? refusal, MergedIntervals? allowed)
    {
        _refusal = refusal;
        _allowed = allowed;
    }

    public static PermissionCheck Everything => default;

    public static PermissionCheck Refused(EtcdError refusal) => new(refusal, null);

    public static PermissionCheck Within(MergedIntervals allowed) => new(null, allowed);

    /// <summary>Null when every key of <paramref name="wanted"/> is permitted, else etcd's error.</summary>
    public EtcdError? Permits(KeyInterval wanted)
    {
        if (_refusal is not null) return _refusal;
        return _allowed is null || _allowed.Covers(wanted) ? null : EtcdErrors.PermissionDenied;
    }

    /// <summary><see cref="Permits"/> for the one key <paramref name="key"/>, allocating nothing.</summary>
    public EtcdError? PermitsKey(Google.Protobuf.ByteString key)
    {
        if (_refusal is not null) return _refusal;
        return _allowed is null || _allowed.CoversKey(key) ? null : EtcdErrors.PermissionDenied;
    }
}
