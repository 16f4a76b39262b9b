namespace Etcd.Actors.Auth.Core;

/// <summary>
/// Password hashing, kept outside the core because it is salted with randomness and deliberately slow
/// (the bcrypt implementation is Etcd.Actors.Auth's BcryptPasswordHasher).
/// </summary>
public interface IPasswordHasher
{
    /// <summary>A new salted hash of <paramref name="password"/> (at the configured cost).</summary>
    string Hash(string password);

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/>; false for a malformed hash.</summary>
    bool Verify(string password, string hash);

    /// <summary>
    /// A valid hash of no one's password at the configured cost: checking a password against it costs what checking a
    /// real user's costs, so an unknown user name answers no sooner than a wrong password.
    /// </summary>
    string DummyHash { get; }
}
