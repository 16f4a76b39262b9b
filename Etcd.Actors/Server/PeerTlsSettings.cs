using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;

namespace Etcd.Actors.Server;

/// <summary>
/// TLS on the peer port (https peer URLs) with <c>enable-ssl</c>: this member's certificate and how a peer's
/// certificate is judged, handed to the peer transport as a <see cref="DotNettySslSetup"/> (EtcdNode.StartAsync), which
/// our transport (Etcd.Actors/Peer/Transport/PeerTls.cs) and Akka.Remote's DotNetty one, when selected, both read.
/// Etcd.Node builds it from etcd's --peer-* flags (Etcd.Node/Tls/PeerTlsSetup.cs).
/// </summary>
/// <param name="Certificate">This member's certificate with its private key: presented when dialled, and when dialling a
/// member that asks for a client certificate.</param>
/// <param name="RequireClientCertificate">A member that dials us must present a certificate (etcd: --peer-client-cert-auth
/// or --peer-trusted-ca-file, Go's RequireAndVerifyClientCert). Akka.Remote asks for one only in its mutual mode.</param>
/// <param name="Validator">Judges the other side's certificate in both directions; called by PeerTls (and by
/// DotNettyTransport.SetClientPipeline and SetServerPipeline) the same way: we dialled, the peer is the remote Akka
/// address; it dialled us (mutual mode only), the peer is the socket's remote endpoint.</param>
public sealed record PeerTlsSettings(X509Certificate2 Certificate, bool RequireClientCertificate, CertificateValidationCallback Validator)
{
    /// <summary>What Akka.Remote 1.5.74 reads; suppress-validation and its own host name check are off because
    /// <see cref="Validator"/> replaces both (a custom validator is used instead of the composed one).</summary>
    public DotNettySslSetup ToSetup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: RequireClientCertificate, validateCertificateHostname: false, Validator);
}
