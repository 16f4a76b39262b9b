using System.Net.Security;

namespace Etcd.Node.Configuration;

/// <summary>
/// etcd's client TLS flags (embed.Config.ClientTLSInfo, ClientAutoTLS, CipherSuites), checked as etcd checks them
/// at start-up (<see cref="From"/>). Served by Etcd.Node/Tls on every https:// client URL.
/// </summary>
public sealed record ClientTlsOptions
{
    /// <summary>--cert-file: PEM server certificate (with its chain, as Go's tls.LoadX509KeyPair reads it).</summary>
    public required string CertFile { get; init; }

    /// <summary>--key-file: PEM private key of <see cref="CertFile"/>.</summary>
    public required string KeyFile { get; init; }

    /// <summary>--trusted-ca-file: PEM CA bundle client certificates must chain to.</summary>
    public required string TrustedCaFile { get; init; }

    /// <summary>--client-cert-auth: a client must present a certificate signed by the trusted CA.</summary>
    public required bool ClientCertAuth { get; init; }

    /// <summary>--client-crl-file: PEM or DER CRL; a client certificate it lists is refused.</summary>
    public required string CrlFile { get; init; }

    /// <summary>--auto-tls: a self-signed certificate under &lt;data-dir&gt;/fixtures/client when no cert/key are given.</summary>
    public required bool AutoTls { get; init; }

    /// <summary>--cipher-suites, mapped to .NET's (empty: .NET's defaults).</summary>
    public required IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; }

    /// <summary>etcd's TLSInfo.Empty(): neither a certificate nor a key file given.</summary>
    public bool Empty => CertFile.Length == 0 && KeyFile.Length == 0;

    /// <summary>
    /// etcd 3.4 (transport.TLSInfo.ServerConfig): a trusted CA file alone already makes the client certificate
    /// required and verified (tls.RequireAndVerifyClientCert), as does --client-cert-auth.
    /// </summary>
    public bool RequireClientCertificate => ClientCertAuth || TrustedCaFile.Length > 0;

    public static ClientTlsOptions From(IReadOnlyDictionary<string, object> values, IReadOnlyList<string> listenClientUrls)
    {
        var options = new ClientTlsOptions
        {
            CertFile = (string)values["cert-file"],
            KeyFile = (string)values["key-file"],
            TrustedCaFile = (string)values["trusted-ca-file"],
            ClientCertAuth = (bool)values["client-cert-auth"],
            CrlFile = (string)values["client-crl-file"],
            AutoTls = (bool)values["auto-tls"],
            CipherSuites = CipherSuiteNames.Map((string[])values["cipher-suites"]),
        };
        // etcd embed.configureClientListeners: an https URL needs a certificate, given or made by --auto-tls.
        if (options.Empty && !options.AutoTls)
        {
            foreach (var url in listenClientUrls.Where(IsHttps))
                throw new FlagException($"TLS key/cert (--cert-file, --key-file) must be provided for client url {url} with HTTPS scheme");
        }
        return options;
    }

    public static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.Ordinal);
}
