using Etcd.Actors.Auth.Core;

namespace Etcd.Actors.Auth;

/// <summary>etcd 3.4's NewTokenProvider for <c>--auth-token</c>: simple (null here: the gate's simple table) or JWT.</summary>
public static class AuthTokenSetup
{
    /// <summary>The member's JWT tokens, or null for simple tokens; <see cref="TokenSetupException"/> with etcd's error otherwise.</summary>
    public static JwtTokens? Create(string authToken, Action<string> warn, TimeProvider? time = null)
    {
        var options = TokenOptions.Parse(authToken);
        return options.IsJwt ? JwtOptions.Create(options.Options, warn, time) : null;
    }
}
