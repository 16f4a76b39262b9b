using System.Security.Cryptography;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Etcd.Actors.Auth;

/// <summary>
/// The options of <c>--auth-token jwt,sign-method=...,pub-key=...,priv-key=...,ttl=...</c>, checked in etcd 3.4's order
/// (auth/options.go ParseWithDefaults, then jwt.go's newTokenProviderJWT and jwtOptions.Key) with its errors: an unreadable
/// file, a bad ttl or an unknown sign-method is "auth: invalid auth options" after an error line saying which; an unknown
/// option only a warning; then the keys, with golang-jwt's messages. Two refusals etcd 3.4 does not make, each of which
/// would otherwise leave a member that starts and then fails every login or every token: a public and a private key that
/// are not one pair (etcd's check is written so that it never fires, and it verifies with the private key's half), and a
/// key IdentityModel cannot use for the method (an EC key on another curve than the method's, a short HMAC secret), which
/// fails here with the library's reason.
/// </summary>
public static class JwtOptions
{
    public const string SignMethod = "sign-method";
    public const string PublicKey = "pub-key";
    public const string PrivateKey = "priv-key";
    public const string Ttl = "ttl";

    private static readonly string[] Known = [SignMethod, PublicKey, PrivateKey, Ttl];

    /// <summary>golang-jwt v3's registered methods; "none" is registered too, and refused by Key().</summary>
    private static readonly HashSet<string> Methods =
        ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "none"];

    /// <param name="warn">Where etcd's warning about unknown options goes (<c>W | auth: unknown JWT options: [...]</c>).</param>
    public static JwtTokens Create(IReadOnlyDictionary<string, string> options, Action<string> warn, TimeProvider? time = null)
    {
        var ttl = JwtTokens.DefaultTtl;
        if (options.GetValueOrDefault(Ttl) is { Length: > 0 } ttlText && !GoDurations.TryParse(ttlText, out ttl, out var error))
            throw Loading($"time: {error} \"{ttlText}\"");
        var publicFile = Read(options.GetValueOrDefault(PublicKey));
        var privateFile = Read(options.GetValueOrDefault(PrivateKey));
        var method = options.GetValueOrDefault(SignMethod) ?? "";
        if (!Methods.Contains(method)) throw Loading("auth: invalid auth signature method");
        var unknown = options.Keys.Where(k => !Known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0) warn($"unknown JWT options: [{string.Join(' ', unknown)}]");

        var (verify, sign) = method[..2] switch
        {
            "RS" or "PS" => RsaKeys(publicFile, privateFile),
            "ES" => EcKeys(method, publicFile, privateFile),
            "HS" => HmacKey(privateFile),
            _ => throw new TokenSetupException("unsupported signing method: *jwt.signingMethodNone"),
        };
        var tokens = new JwtTokens(method, verify, sign, ttl, time);
        Probe(tokens, verify, method);
        return tokens;
    }

    private static (SecurityKey, SecurityKey?) RsaKeys(byte[]? publicFile, byte[]? privateFile)
    {
        var priv = privateFile is { Length: > 0 } ? JwtKeys.RsaPrivate(privateFile) : null;
        var pub = publicFile is { Length: > 0 } ? JwtKeys.RsaPublic(publicFile) : null;
        if (priv is null) return pub is null ? throw new TokenSetupException(JwtKeys.MissingKey) : (new RsaSecurityKey(pub), null);
        if (pub is not null && !JwtKeys.SameKey(pub, priv)) throw new TokenSetupException(JwtKeys.KeyMismatch);
        var half = RSA.Create(priv.ExportParameters(false));
        return (new RsaSecurityKey(half), new RsaSecurityKey(priv));
    }

    private static (SecurityKey, SecurityKey?) EcKeys(string method, byte[]? publicFile, byte[]? privateFile)
    {
        var priv = privateFile is { Length: > 0 } ? JwtKeys.EcPrivate(privateFile) : null;
        var pub = publicFile is { Length: > 0 } ? JwtKeys.EcPublic(publicFile) : null;
        if (priv is null && pub is null) throw new TokenSetupException(JwtKeys.MissingKey);
        if (priv is not null && pub is not null && !JwtKeys.SameKey(pub, priv)) throw new TokenSetupException(JwtKeys.KeyMismatch);
        var key = priv ?? pub!;
        var (oid, curve) = JwtKeys.CurveOf(method);
        if (key.ExportParameters(false).Curve.Oid.Value != oid)
            throw new TokenSetupException($"key is invalid: {method} needs a {curve} key, this one is on {key.ExportParameters(false).Curve.Oid.FriendlyName}");
        if (priv is null) return (new ECDsaSecurityKey(pub!), null);
        var half = ECDsa.Create(priv.ExportParameters(false));
        return (new ECDsaSecurityKey(half), new ECDsaSecurityKey(priv));
    }

    private static (SecurityKey, SecurityKey?) HmacKey(byte[]? privateFile)
    {
        if (privateFile is not { Length: > 0 }) throw new TokenSetupException(JwtKeys.MissingKey);
        var key = new SymmetricSecurityKey(privateFile);
        return (key, key);
    }

    /// <summary>Signs and verifies one token (or, verify-only, builds the verifier), so a key the library refuses stops the start.</summary>
    private static void Probe(JwtTokens tokens, SecurityKey verify, string method)
    {
        try
        {
            if (tokens.VerifyOnly)
            {
                var provider = verify.CryptoProviderFactory.CreateForVerifying(verify, method);
                verify.CryptoProviderFactory.ReleaseSignatureProvider(provider);
                return;
            }
            var token = tokens.Sign("", 0);
            var parts = token.Split('.');
            if (parts.Length != 3) throw new InvalidOperationException("a signed token is not three parts");
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or CryptographicException or SecurityTokenException)
        {
            throw new TokenSetupException($"key is invalid: {e.Message}");
        }
    }

    private static byte[]? Read(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Loading($"open {path}: no such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw Loading(Directory.Exists(path) ? $"read {path}: is a directory" : $"open {path}: permission denied");
        }
        catch (IOException e)
        {
            throw Loading($"open {path}: {e.Message}");
        }
    }

    // etcd's newTokenProviderJWT: "E | auth: problem loading JWT options: <err>", then ErrInvalidAuthOpts.
    private static TokenSetupException Loading(string error) =>
        new(TokenSetupException.InvalidAuthOptions, $"problem loading JWT options: {error}");
}
