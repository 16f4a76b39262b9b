using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Etcd.Node.Tls;

/// <summary>
/// Whether a client certificate is accepted on an https client URL, as etcd 3.4's tls.Config does it
/// (transport.TLSInfo.ServerConfig: RequireAndVerifyClientCert with ClientCAs from --trusted-ca-file, then the
/// listener's CRL check): a certificate is required, it must chain to one of the trusted CAs (only those, never the
/// machine's store), be valid now, be usable for client authentication (Go's ExtKeyUsageClientAuth), and its serial
/// number must not be in the --client-crl-file. Returns the reason in Go's words, or null when accepted.
/// </summary>
public sealed class ClientCertificateVerifier
{
    /// <summary>id-kp-clientAuth (RFC 5280 §4.2.1.12).</summary>
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _trusted;
    private readonly RevocationList? _crl;

    public ClientCertificateVerifier(X509Certificate2Collection trusted, RevocationList? crl)
    {
        if (trusted.Count == 0) throw new ArgumentException("no certificate in the trusted CA file", nameof(trusted));
        _trusted = trusted;
        _crl = crl;
    }

    /// <summary>Loads --trusted-ca-file (PEM, one or more CAs) and, when given, --client-crl-file.</summary>
    public static ClientCertificateVerifier Load(string trustedCaFile, string crlFile)
    {
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(trustedCaFile);
        if (trusted.Count == 0) throw new CryptographicException($"failed to load any certificate from {trustedCaFile}");
        return new ClientCertificateVerifier(trusted, crlFile.Length == 0 ? null : RevocationList.Load(crlFile));
    }

    /// <summary>null when <paramref name="certificate"/> is accepted, else why not (logged as etcd logs a rejected connection).</summary>
    public string? Reject(X509Certificate? certificate)
    {
        if (certificate is null) return "tls: client didn't provide a certificate";
        using var leaf = certificate as X509Certificate2 is { } c2 ? X509CertificateLoader.LoadCertificate(c2.RawData) : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // the CRL file is checked below, as etcd does
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        if (!chain.Build(leaf))
        {
            var status = chain.ChainStatus.Select(s => s.Status).Aggregate(X509ChainStatusFlags.NoError, (a, b) => a | b);
            return "tls: failed to verify client's certificate: x509: " + Describe(status);
        }
        if (_crl is not null && _crl.Revokes(leaf.SerialNumberBytes.Span))
            return $"{leaf.Subject}: certificate is revoked by CRL";
        return null;
    }

    /// <summary>Go's x509 error text for a chain that did not build (shared with <see cref="PeerCertificateVerifier"/>).</summary>
    internal static string Describe(X509ChainStatusFlags status) =>
        status.HasFlag(X509ChainStatusFlags.NotTimeValid) ? "certificate has expired or is not yet valid"
        : status.HasFlag(X509ChainStatusFlags.NotValidForUsage) ? "certificate specifies an incompatible key usage"
        : status.HasFlag(X509ChainStatusFlags.UntrustedRoot) || status.HasFlag(X509ChainStatusFlags.PartialChain)
            ? "certificate signed by unknown authority"
        : $"certificate not accepted ({status})";
}
