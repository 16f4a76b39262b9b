namespace Etcd.Actors.Auth;

/// <summary>What a verified JWT says: the user and the auth revision the token was issued at (etcd's AuthInfo).</summary>
public sealed record JwtIdentity(string User, ulong Revision);
