using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace Etcd.Node.Tls;

/// <summary>
/// --client-crl-file: the serial numbers a CRL (RFC 5280 §5.1, PEM "X509 CRL" or DER) revokes. etcd 3.4 reads the file
/// again for every accepted connection and refuses a client certificate whose serial number it lists, without checking
/// the CRL's signature or issuer (pkg/transport/listener_tls.go, checkCRL); so do we, reading the file again when its
/// timestamp moved, at most once per <see cref="ReloadingCertificate.CheckInterval"/>. A CRL that no longer parses
/// keeps the previous list in force.
/// </summary>
public sealed class RevocationList
{
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private HashSet<BigInteger> _revoked;
    private DateTime _stamp;
    private long _lastCheck;

    private RevocationList(string path, TimeProvider time)
    {
        _path = path;
        _time = time;
        _stamp = File.GetLastWriteTimeUtc(path);
        try
        {
            _revoked = Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException)
        {
            // Named, for start-up's one line (NodeRunner: "cannot set up peer TLS: ...").
            throw new CryptographicException($"cannot parse CRL file {path}: {e.Message}", e);
        }
        _lastCheck = time.GetTimestamp();
    }

    /// <summary>Reads the CRL now; an unreadable or malformed file throws (the member does not start).</summary>
    public static RevocationList Load(string path, TimeProvider? time = null) => new(path, time ?? TimeProvider.System);

    /// <summary>Whether the certificate with this serial number (big-endian, as in the certificate) is revoked.</summary>
    public bool Revokes(ReadOnlySpan<byte> serialNumber)
    {
        var serial = new BigInteger(serialNumber, isUnsigned: true, isBigEndian: true);
        lock (_gate)
        {
            if (_time.GetElapsedTime(_lastCheck) >= ReloadingCertificate.CheckInterval)
            {
                _lastCheck = _time.GetTimestamp();
                var stamp = File.GetLastWriteTimeUtc(_path);
                if (stamp != _stamp)
                {
                    try
                    {
                        _revoked = Parse(File.ReadAllBytes(_path));
                        _stamp = stamp;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or AsnContentException)
                    {
                        // Kept: a CRL being rewritten is read again at the next check.
                    }
                }
            }
            return _revoked.Contains(serial);
        }
    }

    /// <summary>CertificateList → tbsCertList → revokedCertificates[*].userCertificate.</summary>
    public static HashSet<BigInteger> Parse(byte[] file)
    {
        var der = file;
        var text = System.Text.Encoding.ASCII.GetString(file);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            // Not PemEncoding.Find: its ArgumentException (a truncated or garbled PEM, e.g. a CRL half rewritten) escaped
            // Revokes' reload, which keeps the previous list only on the parse errors it expects.
            if (!PemEncoding.TryFind(text, out var fields)) throw new CryptographicException("malformed CRL: no complete PEM block");
            if (text[fields.Label] != "X509 CRL") throw new CryptographicException($"expected an X509 CRL, found {text[fields.Label]}");
            der = Convert.FromBase64String(text[fields.Base64Data]); // TryFind has checked the base64
        }
        var revoked = new HashSet<BigInteger>();
        var list = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = list.ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger(); // version
        tbs.ReadSequence(); // signature algorithm
        tbs.ReadSequence(); // issuer
        ReadTime(tbs); // thisUpdate
        if (tbs.HasData && IsTime(tbs.PeekTag())) ReadTime(tbs); // nextUpdate
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = entry.ReadIntegerBytes().Span;
                revoked.Add(new BigInteger(serial, isUnsigned: true, isBigEndian: true));
            }
        }
        return revoked;
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static void ReadTime(AsnReader reader)
    {
        if (reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)) reader.ReadUtcTime();
        else reader.ReadGeneralizedTime();
    }
}
