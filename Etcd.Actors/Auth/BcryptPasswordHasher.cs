using Etcd.Actors.Auth.Core;

namespace Etcd.Actors.Auth;

/// <summary>
/// bcrypt as etcd uses it (golang.org/x/crypto/bcrypt through auth/store.go): <c>$2a$</c> hashes at
/// <c>--bcrypt-cost</c>, through BCrypt.Net-Next. Salting takes randomness and the work takes time, which is why this
/// lives outside the auth core. The dummy hash is made once at start at the same cost as new passwords, so checking
/// an unknown user costs what checking a real one does.
/// </summary>
public sealed class BcryptPasswordHasher : IPasswordHasher
{
    /// <summary>golang.org/x/crypto/bcrypt's DefaultCost, MinCost and MaxCost.</summary>
    public const int DefaultCost = 10, MinCost = 4, MaxCost = 31;

    public BcryptPasswordHasher(int cost)
    {
        if (cost is < MinCost or > MaxCost)
            throw new ArgumentOutOfRangeException(nameof(cost), cost, $"bcrypt cost is in [{MinCost}, {MaxCost}]; see EffectiveCost");
        Cost = cost;
        // A random password nobody knows: the hash is only ever compared against, never matched.
        DummyHash = Hash(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)));
    }

    public int Cost { get; }

    public string DummyHash { get; }

    /// <summary>
    /// etcd's NewAuthStore: a <c>--bcrypt-cost</c> outside bcrypt's [4, 31] is replaced by the default 10 (etcd logs
    /// "use default bcrypt cost instead of the invalid given cost" and starts).
    /// </summary>
    public static int EffectiveCost(uint requested) => requested is < MinCost or > MaxCost ? DefaultCost : (int)requested;

    public string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(Cost, 'a'));

    public bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}
