using System.Net.Security;
using System.Security.Authentication;
using Etcd.Node.Configuration;
using Etcd.Node.Logging;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Etcd.Node.Tls;

/// <summary>
/// TLS for the https client URLs (etcd 3.4's embed.configureClientListeners with ClientTLSInfo), built once at start-up
/// so that a missing or bad certificate, CA or CRL stops the member before it serves anything. Each handshake gets the
/// certificate in force (<see cref="ReloadingCertificate"/>), HTTP/2 by ALPN only (gRPC), TLS 1.2 or later (etcd's
/// minimum), the --cipher-suites when given, and, when a client certificate is required, the verdict of
/// <see cref="ClientCertificateVerifier"/>: a refused client fails in the handshake and is logged as etcd logs it.
/// </summary>
public sealed class ClientTlsServer
{
    private readonly ReloadingCertificate _certificate;
    private readonly ClientCertificateVerifier? _verifier;
    private readonly CipherSuitesPolicy? _cipherSuites;
    private readonly Capnslog _log;

    private ClientTlsServer(ReloadingCertificate certificate, ClientCertificateVerifier? verifier, CipherSuitesPolicy? cipherSuites, Capnslog log)
    {
        _certificate = certificate;
        _verifier = verifier;
        _cipherSuites = cipherSuites;
        _log = log;
    }

    /// <summary>
    /// null when no client URL is https and no certificate is given. --auto-tls without certificate files makes (or
    /// reuses) the self-signed pair under the data dir first, as etcd does even when every URL is http.
    /// </summary>
    public static ClientTlsServer? Create(ClientTlsOptions options, string dataDir, IReadOnlyList<string> listenClientUrls, Capnslog log)
    {
        // etcd's warnings for the http URLs, word for word (including its "peer" for the client certificate).
        foreach (var url in listenClientUrls.Where(u => !ClientTlsOptions.IsHttps(u)))
        {
            if (!options.Empty) log.Warning("embed", $"The scheme of client url {url} is HTTP while peer key/cert files are presented. Ignored key/cert files.");
            if (options.ClientCertAuth) log.Warning("embed", $"The scheme of client url {url} is HTTP while client cert auth (--client-cert-auth) is enabled. Ignored client cert auth for this url.");
        }
        var (certFile, keyFile) = (options.CertFile, options.KeyFile);
        if (options.AutoTls && !options.Empty) log.Warning("embed", "ignoring client auto TLS since certs given");
        if (options.AutoTls && options.Empty)
            (certFile, keyFile) = SelfSignedCertificate.Ensure(dataDir, listenClientUrls);
        if (certFile.Length == 0 && keyFile.Length == 0) return null;

        log.Info("embed", $"ClientTLS: cert = {certFile}, key = {keyFile}, trusted-ca = {options.TrustedCaFile}, " +
            $"client-cert-auth = {(options.ClientCertAuth ? "true" : "false")}, crl-file = {options.CrlFile}");
        var certificate = new ReloadingCertificate(certFile, keyFile, TimeProvider.System, log);
        ClientCertificateVerifier? verifier = null;
        if (options.RequireClientCertificate)
        {
            if (options.TrustedCaFile.Length == 0)
                throw new InvalidOperationException("--client-cert-auth needs --trusted-ca-file: no CA to verify client certificates with");
            verifier = ClientCertificateVerifier.Load(options.TrustedCaFile, options.CrlFile);
        }
        CipherSuitesPolicy? policy = null;
        if (options.CipherSuites.Count > 0)
        {
            // SChannel takes no suite list per connection; the member runs on Linux (Dockerfile).
            if (OperatingSystem.IsWindows()) throw new InvalidOperationException("--cipher-suites is not supported on Windows");
            policy = new CipherSuitesPolicy(WithTls13(options.CipherSuites));
        }
        return new ClientTlsServer(certificate, verifier, policy, log);
    }

    /// <summary>Go's --cipher-suites restricts TLS 1.2 only: TLS 1.3's suites are not configurable in Go and stay on.</summary>
    private static IEnumerable<TlsCipherSuite> WithTls13(IReadOnlyList<TlsCipherSuite> suites) =>
        suites.Any(IsTls13) ? suites : suites.Concat(
            [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256]);

    private static bool IsTls13(TlsCipherSuite s) =>
        s is TlsCipherSuite.TLS_AES_128_GCM_SHA256 or TlsCipherSuite.TLS_AES_256_GCM_SHA384 or TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256;

    /// <summary>Puts TLS on one Kestrel endpoint; call before any other connection middleware, which then sees plaintext.</summary>
    public void Apply(ListenOptions listen)
    {
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            OnConnection = context =>
            {
                var remote = context.Connection.RemoteEndPoint?.ToString() ?? "";
                var options = new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate.Context,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CipherSuitesPolicy = _cipherSuites,
                    CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                    ClientCertificateRequired = _verifier is not null,
                };
                if (_verifier is { } verifier)
                {
                    var serverName = context.ClientHelloInfo.ServerName ?? "";
                    options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        if (verifier.Reject(certificate) is not { } reason) return true;
                        // etcd 3.4 (embed/serve.go, the http.Server's TLS error log): the connection and Go's reason.
                        _log.Info("embed", $"rejected connection from \"{remote}\" (error \"{reason}\", ServerName \"{serverName}\")");
                        return false;
                    };
                }
                return ValueTask.FromResult(options);
            },
        });
    }
}
