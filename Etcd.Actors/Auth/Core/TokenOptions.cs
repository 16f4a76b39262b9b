namespace Etcd.Actors.Auth.Core;

/// <summary>
/// <c>--auth-token</c> split as etcd 3.4's decomposeOpts does (auth/store.go): <c>type[,key=value]*</c>, each option
/// exactly one <c>=</c>, no key twice. The type is <c>simple</c> or <c>jwt</c> (etcd also takes "" for no tokens, which
/// only its own tests use; refused here as any other unknown type).
/// </summary>
public sealed record TokenOptions(string Type, IReadOnlyDictionary<string, string> Options)
{
    public const string Simple = "simple";
    public const string Jwt = "jwt";

    public bool IsJwt => Type == Jwt;

    /// <summary>etcd's errors: "auth: invalid auth options", with the line etcd logs before it as the detail.</summary>
    public static TokenOptions Parse(string value)
    {
        var parts = value.Split(',');
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < parts.Length; i++)
        {
            var pair = parts[i].Split('=');
            if (pair.Length != 2)
                throw new TokenSetupException(TokenSetupException.InvalidAuthOptions, $"invalid token specific option: {value}");
            if (!options.TryAdd(pair[0], pair[1]))
                throw new TokenSetupException(TokenSetupException.InvalidAuthOptions,
                    $"invalid token specific option, duplicated parameters ({pair[0]}): {value}");
        }
        var type = parts[0];
        if (type is not (Simple or Jwt)) throw new TokenSetupException(TokenSetupException.InvalidAuthOptions, $"unknown token type: {type}");
        return new TokenOptions(type, options);
    }
}
