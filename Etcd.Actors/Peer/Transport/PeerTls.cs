using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// TLS on a peer connection (<c>enable-ssl = on</c>): SslStream, TLS 1.2 or 1.3, with the certificate and validator
/// EtcdNode hands Akka.Remote as a <see cref="DotNettySslSetup"/> (Server/PeerTlsSettings.cs), called the way
/// Akka.Remote 1.5.74's DotNetty transport calls it, so Etcd.Node's PeerCertificateVerifier and its log lines apply
/// unchanged: when we dial, the peer is named by the Akka address we dialled (<c>ssl.tcp://etcd@host:port</c>); when
/// we are dialled, by the socket's remote endpoint, and a certificate is asked for only with
/// <see cref="DotNettySslSetup.RequireMutualAuthentication"/>. Unlike DotNetty's TlsHandler, chains are built with
/// certificate downloads off (an AIA URL in a stranger's certificate is never fetched) and revocation is left to the
/// validator's CRL.
/// </summary>
internal sealed class PeerTls
{
    private readonly DotNettySslSetup _setup;
    private readonly ILoggingAdapter _log;
    private readonly SslStreamCertificateContext _serverCertificate;

    public PeerTls(DotNettySslSetup setup, ILoggingAdapter log)
    {
        _setup = setup;
        _log = log;
        // Built once (offline: intermediates are not downloaded), instead of a chain build per accepted handshake.
        _serverCertificate = SslStreamCertificateContext.Create(setup.Certificate, additionalCertificates: null, offline: true);
    }

    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The chain policy of one side, naming the extended key usage asked of the peer (serverAuth of the side
    /// dialled, clientAuth of the side dialling), so a certificate without it is a chain error as under DotNetty.
    /// SslStream on .NET 10 (Linux) adds it itself to a policy that names none (PeerTransportBoundsSpecs passes without
    /// it); it is named here so the check does not rest on that.</summary>
    private static X509ChainPolicy NoDownloads(Oid usage)
    {
        var policy = new X509ChainPolicy { DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.ApplicationPolicy.Add(usage);
        return policy;
    }

    /// <summary>Handshake as the dialling side; the peer's certificate is judged naming <paramref name="remote"/>.</summary>
    public async Task<SslStream> AsClientAsync(Stream inner, Address remote, CancellationToken ct)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var certificate = _setup.Certificate;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = remote.Host,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = NoDownloads(ServerAuth),
            // Presented whenever the peer asks (Go's client does the same); DotNetty presented it in mutual mode only.
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            RemoteCertificateValidationCallback = (_, cert, chain, errors) => Judge(cert, chain, remote.ToString(), errors),
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Handshake as the dialled side; <paramref name="peer"/> is the socket's remote endpoint.</summary>
    public async Task<SslStream> AsServerAsync(Stream inner, string peer, CancellationToken ct)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var mutual = _setup.RequireMutualAuthentication;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _serverCertificate,
            ClientCertificateRequired = mutual,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = NoDownloads(ClientAuth),
            // Without mutual mode no certificate is asked for and none is judged (DotNetty's TlsHandler.Server).
            RemoteCertificateValidationCallback = (_, cert, chain, errors) => !mutual || Judge(cert, chain, peer, errors),
        };
        try
        {
            await ssl.AuthenticateAsServerAsync(options, ct).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private bool Judge(X509Certificate? cert, X509Chain? chain, string peer, SslPolicyErrors errors)
    {
        var certificate = cert as X509Certificate2 ?? (cert is null ? null : new X509Certificate2(cert));
        // No custom validator: Akka's default meaning, a chain to the machine's roots and nothing else wrong.
        return _setup.CustomValidator is { } validator
            ? validator(certificate, chain, peer, errors, _log)
            : certificate is not null && errors == SslPolicyErrors.None;
    }
}
