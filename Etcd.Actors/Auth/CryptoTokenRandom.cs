using System.Security.Cryptography;
using Etcd.Actors.Auth.Core;

namespace Etcd.Actors.Auth;

/// <summary>Simple tokens' letters from the OS's cryptographic generator, as etcd draws them from crypto/rand.</summary>
public sealed class CryptoTokenRandom : ITokenRandom
{
    public static readonly CryptoTokenRandom Instance = new();

    public int Next(int exclusiveMax) => RandomNumberGenerator.GetInt32(exclusiveMax);
}
