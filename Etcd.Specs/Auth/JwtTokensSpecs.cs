using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// etcd 3.4's JWT tokens (auth/jwt.go, auth/options.go): the claims etcd writes, a token made the way etcd's golang-jwt
/// makes it is accepted, and anything forged, re-signed with another algorithm (none, HS256 keyed with the public key),
/// signed by another key, expired, not yet valid, malformed or lacking etcd's claims is refused; a member with only the
/// public key verifies and never signs. Start-up errors are the strings etcd 3.4.23 printed for the same options.
/// </summary>
public sealed class JwtTokensSpecs : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new("etcd-jwt-keys");
    private readonly JwtKeyFiles _keys;
    private readonly WallClock _clock = new(T0);

    public JwtTokensSpecs() => _keys = new JwtKeyFiles(_dir.Sub("keys"));

    public void Dispose() => _dir.Dispose();

    private JwtTokens Rs256(string more = "") =>
        AuthTokenSetup.Create($"jwt,pub-key={_keys.RsaPublic},priv-key={_keys.RsaPrivate},sign-method=RS256{more}", _ => { }, _clock)!;

    [Fact]
    public async Task A_token_carries_etcds_three_claims_and_verifies_as_its_user_and_revision()
    {
        var tokens = Rs256();
        var token = tokens.Sign("alice", 7);
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        Assert.Equal(["exp", "revision", "username"], payload.RootElement.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("alice", payload.RootElement.GetProperty("username").GetString());
        Assert.Equal(7, payload.RootElement.GetProperty("revision").GetInt64());
        Assert.Equal(T0.AddMinutes(5).ToUnixTimeSeconds(), payload.RootElement.GetProperty("exp").GetInt64());
        Assert.Equal(new JwtIdentity("alice", 7), await tokens.VerifyAsync(token));
    }

    [Fact]
    public async Task Tokens_made_as_etcds_golang_jwt_makes_them_verify_for_rs256_es256_and_a_certificate_as_the_public_key()
    {
        var payload = $$"""{"exp":{{T0.AddMinutes(1).ToUnixTimeSeconds()}},"revision":3,"username":"bob"}""";
        var rs = HandMade("""{"alg":"RS256","typ":"JWT"}""", payload, d => _keys.Rsa.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(new JwtIdentity("bob", 3), await Rs256().VerifyAsync(rs));

        var es = AuthTokenSetup.Create($"jwt,priv-key={_keys.EcPrivate},sign-method=ES256", _ => { }, _clock)!;
        var esToken = HandMade("""{"alg":"ES256","typ":"JWT"}""", payload, d => _keys.Ec.SignData(d, HashAlgorithmName.SHA256));
        Assert.Equal(new JwtIdentity("bob", 3), await es.VerifyAsync(esToken));
        Assert.Equal(new JwtIdentity("eve", 1), await es.VerifyAsync(es.Sign("eve", 1)));

        var request = new CertificateRequest("CN=jwt", _keys.Rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(T0.AddDays(-1), T0.AddDays(1));
        var certFile = _keys.Write("rs-cert.pem", certificate.ExportCertificatePem());
        var fromCertificate = AuthTokenSetup.Create($"jwt,pub-key={certFile},sign-method=RS256", _ => { }, _clock)!;
        Assert.True(fromCertificate.VerifyOnly);
        Assert.Equal(new JwtIdentity("bob", 3), await fromCertificate.VerifyAsync(rs));
    }

    public static TheoryData<string> Forgeries() =>
    [
        "username changed", "signature changed", "alg none without a signature", "alg none with the signature",
        "HS256 keyed with the public key", "RS384 by the same key", "signed by another key",
        "no username", "numeric username", "no revision", "negative revision", "string revision",
        "", "garbage", "a.b", "a.b.c", "..", "header not JSON",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_forged_re_signed_foreign_or_malformed_token_is_refused(string forgery)
    {
        var tokens = Rs256();
        var good = tokens.Sign("bob", 3);
        var p = good.Split('.');
        var exp = T0.AddMinutes(1).ToUnixTimeSeconds();
        byte[] Rs(byte[] d) => _keys.Rsa.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        string Claims(string body) => HandMade("""{"alg":"RS256","typ":"JWT"}""", "{" + body + "}", Rs);
        using var other = RSA.Create(2048);
        var token = forgery switch
        {
            "username changed" => $"{p[0]}.{B64("""{"exp":""" + exp + ""","revision":3,"username":"root"}""")}.{p[2]}",
            "signature changed" => $"{p[0]}.{p[1]}.{p[2][..40]}{(p[2][40] == 'A' ? 'B' : 'A')}{p[2][41..]}",
            "alg none without a signature" => $"{B64("""{"alg":"none","typ":"JWT"}""")}.{p[1]}.",
            "alg none with the signature" => $"{B64("""{"alg":"none","typ":"JWT"}""")}.{p[1]}.{p[2]}",
            "HS256 keyed with the public key" => HandMade("""{"alg":"HS256","typ":"JWT"}""", Payload(p[1]),
                d => HMACSHA256.HashData(File.ReadAllBytes(_keys.RsaPublic), d)),
            "RS384 by the same key" => HandMade("""{"alg":"RS384","typ":"JWT"}""", Payload(p[1]),
                d => _keys.Rsa.SignData(d, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1)),
            "signed by another key" => HandMade("""{"alg":"RS256","typ":"JWT"}""", Payload(p[1]),
                d => other.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
            "no username" => Claims($"\"exp\":{exp},\"revision\":3"),
            "numeric username" => Claims($"\"exp\":{exp},\"revision\":3,\"username\":5"),
            "no revision" => Claims($"\"exp\":{exp},\"username\":\"bob\""),
            "negative revision" => Claims($"\"exp\":{exp},\"revision\":-3,\"username\":\"bob\""),
            "string revision" => Claims($"\"exp\":{exp},\"revision\":\"3\",\"username\":\"bob\""),
            "header not JSON" => $"{B64("not json")}.{p[1]}.{p[2]}",
            _ => forgery,
        };
        Assert.Null(await tokens.VerifyAsync(token));
        // The untouched token still verifies: what failed is the forgery, not the set-up.
        Assert.NotNull(await tokens.VerifyAsync(good));
    }

    [Fact]
    public async Task A_token_expires_after_its_ttl_to_the_second_and_one_not_yet_valid_is_refused()
    {
        var tokens = Rs256(",ttl=30s");
        var token = tokens.Sign("bob", 3);
        _clock.Now = T0.AddSeconds(30).AddMilliseconds(999);
        Assert.NotNull(await tokens.VerifyAsync(token));
        _clock.Now = T0.AddSeconds(31);
        Assert.Null(await tokens.VerifyAsync(token));

        _clock.Now = T0;
        byte[] Rs(byte[] d) => _keys.Rsa.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var notYet = HandMade("""{"alg":"RS256","typ":"JWT"}""", $$"""{"nbf":{{T0.AddMinutes(1).ToUnixTimeSeconds()}},"revision":3,"username":"bob"}""", Rs);
        Assert.Null(await tokens.VerifyAsync(notYet));
        // etcd does not require exp: a token its key signed without one is valid.
        var forever = HandMade("""{"alg":"RS256","typ":"JWT"}""", """{"revision":3,"username":"bob"}""", Rs);
        Assert.Equal(new JwtIdentity("bob", 3), await tokens.VerifyAsync(forever));

        Assert.Equal(JwtTokens.DefaultTtl, Rs256(",ttl=").Ttl);
        var negative = Rs256(",ttl=-5s");
        Assert.Null(await negative.VerifyAsync(negative.Sign("bob", 3)));
    }

    [Fact]
    public async Task A_member_with_only_the_public_key_verifies_and_refuses_to_sign_with_etcds_error()
    {
        var verifier = AuthTokenSetup.Create($"jwt,pub-key={_keys.RsaPublic},sign-method=RS256", _ => { }, _clock)!;
        Assert.True(verifier.VerifyOnly);
        var refused = Assert.Throws<EtcdException>(() => verifier.Sign("root", 1));
        Assert.Equal(EtcdErrors.AuthVerifyOnly, refused.Error);
        Assert.Equal("auth: token signing attempted with verify-only key", refused.Error.Message);
        Assert.Equal(new JwtIdentity("root", 1), await verifier.VerifyAsync(Rs256().Sign("root", 1)));
    }

    [Theory]
    [InlineData("jwt,pub-key={rs.pub},priv-key={rs.key},sign-method=bogus", "auth: invalid auth options", "problem loading JWT options: auth: invalid auth signature method")]
    [InlineData("jwt,pub-key={rs.pub},priv-key={rs.key}", "auth: invalid auth options", "problem loading JWT options: auth: invalid auth signature method")]
    [InlineData("jwt,pub-key={dir}/nope,priv-key={rs.key},sign-method=RS256", "auth: invalid auth options", "problem loading JWT options: open {dir}/nope: no such file or directory")]
    [InlineData("jwt,priv-key={rs.key},sign-method=RS256,ttl=abc", "auth: invalid auth options", "problem loading JWT options: time: invalid duration \"abc\"")]
    [InlineData("jwt,priv-key", "auth: invalid auth options", "invalid token specific option: jwt,priv-key")]
    [InlineData("jwt,priv-key={rs.key},sign-method=RS256,x=a=b", "auth: invalid auth options", "invalid token specific option: jwt,priv-key={rs.key},sign-method=RS256,x=a=b")]
    [InlineData("jwt,,sign-method=RS256", "auth: invalid auth options", "invalid token specific option: jwt,,sign-method=RS256")]
    [InlineData("jwt,priv-key={rs.key},priv-key={rs.key},sign-method=RS256", "auth: invalid auth options", "invalid token specific option, duplicated parameters (priv-key): jwt,priv-key={rs.key},priv-key={rs.key},sign-method=RS256")]
    [InlineData("bogus", "auth: invalid auth options", "unknown token type: bogus")]
    [InlineData("jwt,priv-key={ec.key},sign-method=RS256", "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)", null)]
    [InlineData("jwt,sign-method=RS256", "auth: missing key data", null)]
    [InlineData("jwt,sign-method=HS256", "auth: missing key data", null)]
    [InlineData("jwt,priv-key={rs.key},sign-method=none", "unsupported signing method: *jwt.signingMethodNone", null)]
    [InlineData("jwt,pub-key={garbage},sign-method=RS256", "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key", null)]
    [InlineData("jwt,priv-key={garbage},sign-method=RS256", "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key", null)]
    [InlineData("jwt,priv-key={garbage},sign-method=ES256", "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key", null)]
    [InlineData("jwt,pub-key={ec.pub},sign-method=RS256", "key is not a valid RSA public key", null)]
    [InlineData("jwt,pub-key={rs1.pub},sign-method=RS256", "x509: malformed tbs certificate", null)]
    [InlineData("jwt,priv-key={rs.key},sign-method=ES256", "key is not a valid ECDSA private key", null)]
    [InlineData("jwt,pub-key={rs.pub},sign-method=ES256", "key is not a valid ECDSA public key", null)]
    public void Bad_options_keys_and_methods_stop_the_member_with_what_etcd_3_4_23_printed(string option, string error, string? detail)
    {
        var e = Assert.Throws<TokenSetupException>(() => AuthTokenSetup.Create(Fill(option), _ => { }, _clock));
        Assert.Equal(Fill(error), e.Message);
        Assert.Equal(detail is null ? null : Fill(detail), e.Detail);
    }

    [Fact]
    public void A_key_pair_that_is_not_one_or_a_curve_the_method_does_not_sign_with_is_refused_at_start()
    {
        var mismatch = Assert.Throws<TokenSetupException>(() =>
            AuthTokenSetup.Create($"jwt,pub-key={_keys.OtherRsaPublic},priv-key={_keys.RsaPrivate},sign-method=RS256", _ => { }));
        Assert.Equal("auth: public and private keys don't match", mismatch.Message);
        var curve = Assert.Throws<TokenSetupException>(() =>
            AuthTokenSetup.Create($"jwt,priv-key={_keys.EcP384Private},sign-method=ES256", _ => { }));
        Assert.StartsWith("key is invalid: ES256 needs a P-256 key", curve.Message);
    }

    [Fact]
    public async Task A_short_hmac_secret_the_library_will_not_sign_with_stops_the_start_and_a_1024_bit_rsa_key_works_as_in_etcd()
    {
        var shortSecret = _keys.Write("short.key", "tiny");
        var tooShort = Record.Exception(() => AuthTokenSetup.Create($"jwt,priv-key={shortSecret},sign-method=HS256", _ => { }));
        Assert.True(tooShort is TokenSetupException { Message: var m } && m.StartsWith("key is invalid: ", StringComparison.Ordinal),
            $"a 5-byte HS256 secret: {tooShort?.GetType().Name} {tooShort?.Message}");
        using var small = RSA.Create(1024);
        var smallKey = _keys.Write("small.key", small.ExportPkcs8PrivateKeyPem());
        var tokens = AuthTokenSetup.Create($"jwt,priv-key={smallKey},sign-method=RS256", _ => { }, _clock)!;
        Assert.Equal(new JwtIdentity("z", 1), await tokens.VerifyAsync(tokens.Sign("z", 1)));
    }

    [Fact]
    public async Task Unknown_options_are_warned_about_and_pkcs1_keys_and_every_rsa_method_work()
    {
        var warnings = new List<string>();
        var tokens = AuthTokenSetup.Create($"jwt,priv-key={_keys.RsaPkcs1Private},sign-method=PS256,foo=bar,abc=1", warnings.Add, _clock)!;
        Assert.Equal(["unknown JWT options: [abc foo]"], warnings);
        Assert.Equal("PS256", tokens.Method);
        Assert.Equal(new JwtIdentity("x", 2), await tokens.VerifyAsync(tokens.Sign("x", 2)));
        Assert.Null(AuthTokenSetup.Create("simple", warnings.Add));
        var secret = _keys.Write("hs.key", new string('k', 40));
        var hs = AuthTokenSetup.Create($"jwt,priv-key={secret},sign-method=HS256", warnings.Add, _clock)!;
        Assert.Equal(new JwtIdentity("y", 4), await hs.VerifyAsync(hs.Sign("y", 4)));
    }

    private string Fill(string s) => s
        .Replace("{rs.pub}", _keys.RsaPublic).Replace("{rs.key}", _keys.RsaPrivate).Replace("{rs1.pub}", _keys.RsaPkcs1Public)
        .Replace("{ec.key}", _keys.EcPrivate).Replace("{ec.pub}", _keys.EcPublic).Replace("{garbage}", _keys.Garbage)
        .Replace("{dir}", _dir.Path);

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Payload(string b64) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(b64));

    /// <summary>A JWT made by hand (RFC 7515 compact form), the way golang-jwt assembles one: no library involved.</summary>
    private static string HandMade(string header, string payload, Func<byte[], byte[]> sign)
    {
        var signingInput = B64(header) + "." + B64(payload);
        return signingInput + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(signingInput)));
    }
}
