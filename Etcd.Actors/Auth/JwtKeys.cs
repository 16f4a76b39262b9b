using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Etcd.Actors.Auth.Core;

namespace Etcd.Actors.Auth;

/// <summary>
/// The key files of <c>--auth-token jwt,...</c> read as golang-jwt v3 reads them (etcd 3.4's jwtOptions.Key): the first PEM
/// block of each file; an RSA private key as PKCS#1 or PKCS#8, an EC one as SEC 1 or PKCS#8, a public key as
/// SubjectPublicKeyInfo or inside a certificate; an HMAC secret is the private key file's bytes as they are. Errors are
/// golang-jwt's strings (what etcd prints); where Go's x509 package would explain a malformed structure in its own words
/// the message here is the nearest of its usual ones.
/// </summary>
internal static class JwtKeys
{
    internal const string NotPem = "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key";
    internal const string NotRsaPrivate = "key is not a valid RSA private key";
    internal const string NotRsaPublic = "key is not a valid RSA public key";
    internal const string NotEcPrivate = "key is not a valid ECDSA private key";
    internal const string NotEcPublic = "key is not a valid ECDSA public key";
    internal const string MissingKey = "auth: missing key data";
    internal const string KeyMismatch = "auth: public and private keys don't match";

    internal static RSA RsaPrivate(byte[] file)
    {
        var der = FirstPem(file);
        var rsa = RSA.Create();
        if (TryImport(() => rsa.ImportRSAPrivateKey(der, out _)) || TryImport(() => rsa.ImportPkcs8PrivateKey(der, out _))) return rsa;
        rsa.Dispose();
        using var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportPkcs8PrivateKey(der, out _))) throw new TokenSetupException(NotRsaPrivate);
        if (TryImport(() => ec.ImportECPrivateKey(der, out _)))
            throw new TokenSetupException("x509: failed to parse private key (use ParseECPrivateKey instead for this key format)");
        throw new TokenSetupException("x509: failed to parse private key");
    }

    internal static ECDsa EcPrivate(byte[] file)
    {
        var der = FirstPem(file);
        var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportECPrivateKey(der, out _)) || TryImport(() => ec.ImportPkcs8PrivateKey(der, out _))) return ec;
        ec.Dispose();
        using var rsa = RSA.Create();
        if (TryImport(() => rsa.ImportPkcs8PrivateKey(der, out _))) throw new TokenSetupException(NotEcPrivate);
        if (TryImport(() => rsa.ImportRSAPrivateKey(der, out _)))
            throw new TokenSetupException("x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)");
        throw new TokenSetupException("x509: failed to parse private key");
    }

    internal static RSA RsaPublic(byte[] file) =>
        Public(file, d => { var k = RSA.Create(); k.ImportSubjectPublicKeyInfo(d, out _); return k; }, c => c.GetRSAPublicKey(), NotRsaPublic);

    internal static ECDsa EcPublic(byte[] file) =>
        Public(file, d => { var k = ECDsa.Create(); k.ImportSubjectPublicKeyInfo(d, out _); return k; }, c => c.GetECDsaPublicKey(), NotEcPublic);

    /// <summary>Whether two RSA keys are one pair (etcd 3.4's own check is `E differs AND N differs`, which never fires).</summary>
    internal static bool SameKey(RSA a, RSA b)
    {
        var (x, y) = (a.ExportParameters(false), b.ExportParameters(false));
        return x.Modulus.AsSpan().SequenceEqual(y.Modulus) && x.Exponent.AsSpan().SequenceEqual(y.Exponent);
    }

    internal static bool SameKey(ECDsa a, ECDsa b)
    {
        var (x, y) = (a.ExportParameters(false), b.ExportParameters(false));
        return x.Curve.Oid.Value == y.Curve.Oid.Value && x.Q.X.AsSpan().SequenceEqual(y.Q.X) && x.Q.Y.AsSpan().SequenceEqual(y.Q.Y);
    }

    /// <summary>The curve an ES method signs with (golang-jwt's CurveBits): ES256 P-256, ES384 P-384, ES512 P-521.</summary>
    internal static (string Oid, string Name) CurveOf(string method) => method switch
    {
        "ES256" => ("1.2.840.10045.3.1.7", "P-256"),
        "ES384" => ("1.3.132.0.34", "P-384"),
        _ => ("1.3.132.0.35", "P-521"),
    };

    private static T Public<T>(byte[] file, Func<byte[], T> spki, Func<X509Certificate2, T?> fromCertificate, string wrongType)
        where T : AsymmetricAlgorithm
    {
        var der = FirstPem(file);
        try
        {
            return spki(der);
        }
        catch (CryptographicException)
        {
            // Either another algorithm's SubjectPublicKeyInfo or not one at all: golang-jwt then tries a certificate.
        }
        if (IsSubjectPublicKeyInfo(der)) throw new TokenSetupException(wrongType);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            throw new TokenSetupException("x509: malformed tbs certificate");
        }
        using (certificate) return fromCertificate(certificate) ?? throw new TokenSetupException(wrongType);
    }

    private static bool IsSubjectPublicKeyInfo(byte[] der)
    {
        using var rsa = RSA.Create();
        using var ec = ECDsa.Create();
        return TryImport(() => rsa.ImportSubjectPublicKeyInfo(der, out _)) || TryImport(() => ec.ImportSubjectPublicKeyInfo(der, out _));
    }

    /// <summary>Go's pem.Decode: the first PEM block, whatever its label; none is golang-jwt's ErrKeyMustBePEMEncoded.</summary>
    private static byte[] FirstPem(byte[] file)
    {
        var text = Encoding.UTF8.GetString(file);
        if (!PemEncoding.TryFind(text, out var fields)) throw new TokenSetupException(NotPem);
        return Convert.FromBase64String(text[fields.Base64Data]);
    }

    private static bool TryImport(Action import)
    {
        try
        {
            import();
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
