using Etcd.Actors.Auth.Core;

namespace Etcd.Specs.Auth;

/// <summary>A transparent hasher for core specs: "h:" + password, counting every check and what it was against.</summary>
internal sealed class CountingHasher : IPasswordHasher
{
    public List<string> CheckedAgainst { get; } = [];

    public string DummyHash => "dummy";

    public string Hash(string password) => "h:" + password;

    public bool Verify(string password, string hash)
    {
        CheckedAgainst.Add(hash);
        return hash == "h:" + password;
    }
}
