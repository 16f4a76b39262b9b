using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Etcd.Actors.Server;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;

namespace Etcd.Node.Tls;

/// <summary>
/// The peer port's TLS from etcd's --peer-* flags (etcd 3.4 embed.configurePeerListeners and PeerSelfCert): the
/// member's certificate (given as PEM, or made by --peer-auto-tls under &lt;data-dir&gt;/fixtures/peer) and the
/// <see cref="PeerCertificateVerifier"/> Akka.Remote's TLS hands every peer certificate to.
/// </summary>
public static class PeerTlsSetup
{
    /// <summary>null when the peer URLs are http (the flags are then ignored with etcd's warnings).</summary>
    public static PeerTlsSettings? Create(PeerTlsOptions options, string dataDir, IReadOnlyList<string> listenPeerUrls, Capnslog log)
    {
        var (certFile, keyFile) = (options.CertFile, options.KeyFile);
        var selfCert = false;
        if (options.AutoTls && !options.Empty) log.Warning("embed", "ignoring peer auto TLS since certs given");
        if (options.AutoTls && options.Empty)
        {
            // etcd makes the pair even for http URLs (PeerSelfCert runs before the listeners are set up).
            (certFile, keyFile) = SelfSignedCertificate.Ensure(dataDir, listenPeerUrls, "peer");
            selfCert = true;
        }
        if (certFile.Length > 0 || keyFile.Length > 0)
        {
            log.Info("embed", $"peerTLS: cert = {certFile}, key = {keyFile}, trusted-ca = {options.TrustedCaFile}, " +
                $"client-cert-auth = {(options.ClientCertAuth ? "true" : "false")}, crl-file = {options.CrlFile}");
        }
        if (!options.Enabled)
        {
            // etcd's warning for an http peer URL, word for word.
            if (certFile.Length > 0 || keyFile.Length > 0)
            {
                foreach (var url in listenPeerUrls)
                    log.Warning("embed", $"The scheme of peer url {url} is HTTP while peer key/cert files are presented. Ignored peer key/cert files.");
            }
            return null;
        }
        if (options.RequireClientCertificate && options.TrustedCaFile.Length == 0)
            throw new InvalidOperationException("--peer-client-cert-auth needs --peer-trusted-ca-file: no CA to verify peer certificates with");

        var certificate = Load(certFile, keyFile);
        X509Certificate2Collection? trusted = null;
        if (options.TrustedCaFile.Length > 0)
        {
            trusted = [];
            trusted.ImportFromPemFile(options.TrustedCaFile);
            if (trusted.Count == 0) throw new CryptographicException($"failed to load any certificate from {options.TrustedCaFile}");
        }
        var crl = options.CrlFile.Length == 0 ? null : RevocationList.Load(options.CrlFile);
        var verifier = new PeerCertificateVerifier(trusted, crl, skipVerifyDialled: selfCert, options.AllowedCn, options.AllowedHostname, log,
            options.SkipClientSanVerify);
        return new PeerTlsSettings(certificate, options.RequireClientCertificate, verifier.Validate);
    }

    /// <summary>
    /// PEM pair → a certificate whose key SslStream can use: CreateFromPemFile gives an ephemeral key, which some
    /// platforms refuse for TLS; a PKCS#12 round trip gives a persisted one (as ReloadingCertificate does for clients).
    /// </summary>
    private static X509Certificate2 Load(string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
