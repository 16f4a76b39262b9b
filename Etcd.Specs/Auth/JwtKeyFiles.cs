using System.Security.Cryptography;

namespace Etcd.Specs.Auth;

/// <summary>Throw-away JWT key files in a directory the spec owns, in the PEM forms openssl writes.</summary>
internal sealed class JwtKeyFiles
{
    private readonly string _dir;

    public JwtKeyFiles(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        Rsa = RSA.Create(2048);
        RsaPrivate = Write("rs.key", Rsa.ExportPkcs8PrivateKeyPem());
        RsaPkcs1Private = Write("rs1.key", Rsa.ExportRSAPrivateKeyPem());
        RsaPublic = Write("rs.pub", Rsa.ExportSubjectPublicKeyInfoPem());
        RsaPkcs1Public = Write("rs1.pub", Rsa.ExportRSAPublicKeyPem());
        Ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        EcPrivate = Write("ec.key", Ec.ExportECPrivateKeyPem());
        EcPublic = Write("ec.pub", Ec.ExportSubjectPublicKeyInfoPem());
        using var other = RSA.Create(2048);
        OtherRsaPublic = Write("other.pub", other.ExportSubjectPublicKeyInfoPem());
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        EcP384Private = Write("ec384.key", p384.ExportECPrivateKeyPem());
        Garbage = Write("garbage.pem", "garbage");
    }

    public RSA Rsa { get; }
    public ECDsa Ec { get; }
    public string RsaPrivate { get; }
    public string RsaPkcs1Private { get; }
    public string RsaPublic { get; }
    public string RsaPkcs1Public { get; }
    public string OtherRsaPublic { get; }
    public string EcPrivate { get; }
    public string EcPublic { get; }
    public string EcP384Private { get; }
    public string Garbage { get; }

    public string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text + "\n");
        return path;
    }
}
