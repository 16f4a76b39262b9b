using Etcd.Actors.Errors;

namespace Etcd.Actors.Auth.Core;

public sealed partial class AuthStore
{
    /// <summary>
    /// etcd's CheckPassword (the first half of Authenticate): the auth revision the token will carry, or "authentication
    /// failed, invalid user ID or password". Exactly one hash check runs whatever the outcome: an unknown user and a
    /// no-password user are checked against the hasher's dummy hash, so the answer's time says nothing about which user
    /// names exist (etcd answers those two without hashing).
    /// </summary>
    public EtcdError? CheckPassword(string name, string password, IPasswordHasher hasher, out ulong revision)
    {
        revision = 0;
        if (!Enabled) return EtcdErrors.AuthNotEnabled;
        var user = _users.GetValueOrDefault(name);
        var usable = user is { NoPassword: false };
        var matches = hasher.Verify(password, usable ? user!.PasswordHash : hasher.DummyHash);
        if (!usable || !matches) return EtcdErrors.AuthFailed;
        revision = Revision;
        return null;
    }
}
