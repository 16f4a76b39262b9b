using System.Buffers.Text;
using System.Text.Json;
using Etcd.Actors.Errors;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Etcd.Actors.Auth;

/// <summary>
/// etcd 3.4's JWT tokens (auth/jwt.go), signed and verified by Microsoft.IdentityModel.JsonWebTokens: a token names the user
/// and the auth revision it was issued at (claims <c>username</c>, <c>revision</c>, <c>exp</c>, as etcd writes them) and
/// carries its own proof, so no member keeps a table of them. A token is accepted only with exactly the configured
/// algorithm (no <c>none</c>, no HS256 signed with an RSA public key), a valid signature under the configured key, and
/// an <c>exp</c> (and <c>nbf</c>) that the member's clock has not passed, with no leeway (golang-jwt's rules; IdentityModel's
/// default 5-minute skew is off). As in etcd, <c>exp</c> is not required. A member given only a public key verifies and
/// never signs (<see cref="VerifyOnly"/>).
/// </summary>
public sealed class JwtTokens
{
    public const string UserClaim = "username";
    public const string RevisionClaim = "revision";

    /// <summary>etcd's DefaultTTL for JWT tokens (the <c>ttl</c> option), 5 minutes.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(5);

    // Thread-safe and stateless once built; SetDefaultTimesOnTokenCreation off so only etcd's three claims are written.
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly SigningCredentials? _signing;
    private readonly TokenValidationParameters _validation;
    private readonly TimeProvider _time;

    /// <param name="method">etcd's sign-method (RS256, PS384, ES512, HS256, ...), which IdentityModel names alike.</param>
    /// <param name="verifyKey">What tokens are checked with: the public key (the private key's own, when given), or the HMAC secret.</param>
    /// <param name="signKey">The private key or HMAC secret; null on a verify-only member.</param>
    public JwtTokens(string method, SecurityKey verifyKey, SecurityKey? signKey, TimeSpan ttl, TimeProvider? time = null)
    {
        Method = method;
        Ttl = ttl;
        _time = time ?? TimeProvider.System;
        _signing = signKey is null ? null : new SigningCredentials(signKey, method);
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = verifyKey,
            ValidAlgorithms = [method],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = false,
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = WithinLifetime,
        };
    }

    public string Method { get; }

    /// <summary>How long a token is valid after it is signed (etcd: exp = now + ttl; a negative ttl makes expired tokens, as there).</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Only a public key was given: this member checks tokens made elsewhere and answers Authenticate with ErrVerifyOnly.</summary>
    public bool VerifyOnly => _signing is null;

    /// <summary>etcd's tokenJWT.assign: a token for <paramref name="user"/> at auth revision <paramref name="revision"/>.</summary>
    public string Sign(string user, ulong revision)
    {
        if (_signing is null) throw EtcdErrors.AuthVerifyOnly.ToException();
        if (revision > long.MaxValue) throw new ArgumentOutOfRangeException(nameof(revision), revision, "auth revision beyond a JSON integer");
        var descriptor = new SecurityTokenDescriptor
        {
            SigningCredentials = _signing,
            Claims = new Dictionary<string, object>
            {
                [UserClaim] = user,
                [RevisionClaim] = (long)revision,
                [JwtRegisteredClaimNames.Exp] = _time.GetUtcNow().Add(Ttl).ToUnixTimeSeconds(),
            },
        };
        return Handler.CreateToken(descriptor);
    }

    /// <summary>
    /// etcd's tokenJWT.info: the token's user and revision, or null for anything not signed by our key with our method,
    /// expired, not yet valid, malformed, or without a string <c>username</c> and a non-negative integer <c>revision</c>
    /// (etcd 3.4 panics on a signed token that lacks them; only a holder of the signing key could make one).
    /// </summary>
    public async Task<JwtIdentity?> VerifyAsync(string token)
    {
        TokenValidationResult result;
        try
        {
            result = await Handler.ValidateTokenAsync(token, _validation).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return null;
        return Claims(jwt.EncodedPayload);
    }

    // Read from the payload's JSON as written: IdentityModel's typed getters convert (a number to a string, "3" to 3),
    // where etcd's type assertions accept only a JSON string and a JSON number.
    private static JwtIdentity? Claims(string encodedPayload)
    {
        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(encodedPayload));
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty(UserClaim, out var user) || user.ValueKind != JsonValueKind.String
                || !root.TryGetProperty(RevisionClaim, out var revision) || revision.ValueKind != JsonValueKind.Number
                || !revision.TryGetUInt64(out var rev))
                return null;
            return new JwtIdentity(user.GetString()!, rev);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }
    }

    // golang-jwt v3's MapClaims.Valid: now <= exp and now >= nbf, in whole seconds, each only when present.
    private bool WithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        return (expires is not { } exp || now <= UnixSeconds(exp)) && (notBefore is not { } nbf || now >= UnixSeconds(nbf));
    }

    private static long UnixSeconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();
}
