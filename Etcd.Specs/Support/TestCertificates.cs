using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Etcd.Specs.Support;

/// <summary>
/// A throw-away PKI for the TLS specs, written as PEM files into a directory the spec owns: a CA, a server certificate
/// for 127.0.0.1/localhost, a client certificate, a client certificate from another CA, a revoked client certificate
/// and a CRL listing it. Keys are ECDSA P-256; everything is valid from an hour ago for a day.
/// </summary>
public sealed class TestCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey;
    private readonly string _dir;

    public TestCertificates(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        (_ca, _caKey) = CreateCa("etcd-spec-ca");
        CaFile = WritePem("ca.pem", _ca.ExportCertificatePem());
        Server = Issue("server", "server", ServerAuth, 1001);
        Client = Issue("client", "client", ClientAuth, 1002);
        Revoked = Issue("revoked", "revoked", ClientAuth, 1003);
        var (otherCa, otherKey) = CreateCa("another-ca");
        using (otherCa)
        using (otherKey)
        {
            OtherCaClient = IssueWith(otherCa, otherKey, "stranger", "stranger", ClientAuth, 1004);
        }
        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry(new BigInteger(1003).ToByteArray(isUnsigned: true, isBigEndian: true), DateTimeOffset.UtcNow.AddMinutes(-5));
        var now = DateTimeOffset.UtcNow;
        var der = crl.Build(_ca, BigInteger.One, now.AddDays(1), HashAlgorithmName.SHA256, thisUpdate: now.AddHours(-1));
        CrlFile = WritePem("ca.crl", PemEncoding.WriteString("X509 CRL", der));
    }

    public sealed record Pair(string CertFile, string KeyFile, string SerialHex);

    public string CaFile { get; }
    public Pair Server { get; }
    public Pair Client { get; }
    public Pair Revoked { get; }
    public Pair OtherCaClient { get; }
    public string CrlFile { get; }

    /// <summary>A client certificate from this CA whose subject is <c>CN=<paramref name="cn"/></c> (with --client-cert-auth, a user).</summary>
    public Pair IssueClient(string name, string cn, long serial) => Issue(name, cn, ClientAuth, serial);

    /// <summary>Another server certificate from the same CA (for rotation), written under <paramref name="name"/>.</summary>
    public Pair IssueServer(string name, long serial) => Issue(name, "server", ServerAuth, serial);

    /// <summary>
    /// A member's peer certificate from this CA (server and client authentication, as etcd's peer certificates are
    /// used both ways), for 127.0.0.1 and localhost, with <paramref name="cn"/>.
    /// </summary>
    public Pair IssuePeer(string name, string cn, long serial) => IssueWith(_ca, _caKey, name, cn, [ServerAuth, ClientAuth], serial);

    /// <summary>The same from a CA nobody trusts (made for the call).</summary>
    public Pair IssuePeerFromAnotherCa(string name, string cn, long serial)
    {
        var (otherCa, otherKey) = CreateCa("yet-another-ca");
        using (otherCa)
        using (otherKey)
            return IssueWith(otherCa, otherKey, name, cn, [ServerAuth, ClientAuth], serial);
    }

    /// <summary>A CRL of this CA listing <paramref name="serials"/>, written under <paramref name="name"/>.</summary>
    public string WriteCrl(string name, params long[] serials)
    {
        var crl = new CertificateRevocationListBuilder();
        foreach (var serial in serials)
            crl.AddEntry(new BigInteger(serial).ToByteArray(isUnsigned: true, isBigEndian: true), DateTimeOffset.UtcNow.AddMinutes(-5));
        var now = DateTimeOffset.UtcNow;
        var der = crl.Build(_ca, new BigInteger(2), now.AddDays(1), HashAlgorithmName.SHA256, thisUpdate: now.AddHours(-1));
        return WritePem(name, PemEncoding.WriteString("X509 CRL", der));
    }

    /// <summary>etcdctl's TLS flags for <paramref name="pair"/>, trusting the CA.</summary>
    public string[] EtcdctlFlags(Pair? pair) =>
        pair is null ? ["--cacert", CaFile] : ["--cacert", CaFile, "--cert", pair.CertFile, "--key", pair.KeyFile];

    private static (X509Certificate2, ECDsa) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return (request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1)), key);
    }

    private Pair Issue(string file, string cn, Oid usage, long serial) => IssueWith(_ca, _caKey, file, cn, [usage], serial);

    private Pair IssueWith(X509Certificate2 ca, ECDsa caKey, string file, string cn, Oid usage, long serial) =>
        IssueWith(ca, caKey, file, cn, [usage], serial);

    private Pair IssueWith(X509Certificate2 ca, ECDsa caKey, string file, string cn, Oid[] usages, long serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        var serialBytes = new BigInteger(serial).ToByteArray(isUnsigned: true, isBigEndian: true);
        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddHours(-1), now.AddDays(1), serialBytes);
        var certFile = WritePem(file + ".pem", cert.ExportCertificatePem());
        var keyFile = WritePem(file + "-key.pem", key.ExportPkcs8PrivateKeyPem());
        return new Pair(certFile, keyFile, cert.SerialNumber);
    }

    private string WritePem(string name, string pem)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, pem + "\n");
        return path;
    }
}
