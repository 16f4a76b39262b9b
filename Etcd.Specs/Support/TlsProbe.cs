using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Etcd.Specs.Support;

/// <summary>
/// One TLS handshake against a client port, as a gRPC client makes it (ALPN h2), to see what the server presents and
/// whether it accepts the offer: the served certificate, or the failure. The server certificate is not verified here.
/// </summary>
public static class TlsProbe
{
    public sealed record Result(X509Certificate2? Served, TlsCipherSuite? Suite, Exception? Failure)
    {
        public bool Succeeded => Failure is null;
    }

    public static async Task<Result> HandshakeAsync(int port, SslProtocols protocols = SslProtocols.None,
        TlsCipherSuite[]? offer = null, X509Certificate2? clientCertificate = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var ssl = new SslStream(tcp.GetStream());
        X509Certificate2? served = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                served = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return true;
            },
        };
        if (offer is not null && !OperatingSystem.IsWindows()) options.CipherSuitesPolicy = new CipherSuitesPolicy(offer);
        if (clientCertificate is not null) options.ClientCertificates = [clientCertificate];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ssl.AuthenticateAsClientAsync(options, timeout.Token);
            return new Result(served, ssl.NegotiatedCipherSuite, null);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            return new Result(served, null, e);
        }
    }
}
