using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Etcd.Node.Tls;

/// <summary>
/// --auto-tls and --peer-auto-tls: etcd 3.4's transport.SelfCert. The pair lives in &lt;data-dir&gt;/fixtures/client (or
/// fixtures/peer) as cert.pem and key.pem
/// and is reused when both files exist (so a restart keeps the certificate clients may have pinned); otherwise a new one
/// is made: ECDSA P-521, subject O=etcd, valid for a year from now, key usage digital signature and key encipherment,
/// extended key usage server authentication, and a subject alternative name per listen URL host (an IP address or a
/// DNS name). The key is written as "EC PRIVATE KEY" readable by the owner only, the directory 0700, as etcd does.
/// </summary>
public static class SelfSignedCertificate
{
    public sealed record Files(string CertFile, string KeyFile);

    /// <param name="dataDir">The member's --data-dir.</param>
    /// <param name="listenUrls">--listen-client-urls (or --listen-peer-urls): their hosts become the certificate's SANs.</param>
    /// <param name="fixture">"client" or "peer", as etcd names the directories.</param>
    public static Files Ensure(string dataDir, IEnumerable<string> listenUrls, string fixture = "client")
    {
        var dir = Path.Combine(dataDir, "fixtures", fixture);
        var files = new Files(Path.Combine(dir, "cert.pem"), Path.Combine(dir, "key.pem"));
        if (File.Exists(files.CertFile) && File.Exists(files.KeyFile)) return files;

        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        var request = new CertificateRequest(new X500DistinguishedName("O=etcd"), key, HashAlgorithmName.SHA512);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in listenUrls.Select(HostOf).Where(h => h.Length > 0).Distinct(StringComparer.Ordinal))
        {
            if (IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(host);
        }
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        // A random 128-bit serial, as etcd (and RFC 5280 §4.1.2.2: positive, at most 20 octets).
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), now, now.AddYears(1), serial);

        // Each file through a temporary name and a rename: a crash leaves either no file or a whole one.
        Write(files.KeyFile, key.ExportECPrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Write(files.CertFile, certificate.ExportCertificatePem(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return files;
    }

    private static void Write(string path, string pem, UnixFileMode mode)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(pem);
            writer.Write('\n');
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The host of scheme://host:port ("[::1]" → "::1"), as etcd takes it with net.SplitHostPort.</summary>
    private static string HostOf(string url)
    {
        var hostPort = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        return hostPort[..hostPort.LastIndexOf(':')].Trim('[', ']');
    }
}
