using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Etcd.Actors.Serialization;
using Etcd.Node.Logging;

namespace Etcd.Node.Tls;

/// <summary>
/// Whether a peer's certificate is accepted on the peer port, as etcd 3.4 judges it (pkg/transport/listener.go,
/// TLSInfo.baseConfig, ServerConfig and ClientConfig; listener_tls.go for the CRL), in both directions:
/// <list type="bullet">
/// <item>A member we dial (Go's client side): its certificate must chain to --peer-trusted-ca-file (the machine's roots
/// when none is given), be valid now and for server authentication, and be valid for the host we dialled. With
/// --peer-auto-tls nothing of this is checked (etcd sets InsecureSkipVerify for a self-signed certificate).</item>
/// <item>A member that dials us (Go's server side, asked only when a certificate is required): it must present one that
/// chains to --peer-trusted-ca-file, is valid now and for client authentication, whose SANs name the address it dials
/// from (unless --experimental-peer-skip-client-san-verification), and whose serial number --peer-crl-file does not list.</item>
/// <item>Both ways, --peer-cert-allowed-cn (the certificate's CN) or --peer-cert-allowed-hostname (a host name its SANs
/// name; never the CN, as Go ≥ 1.15). Both at once is refused at start, as etcd 3.4's baseConfig (PeerTlsOptions.From).</item>
/// </list>
/// Akka.Remote 1.5.74 calls <see cref="Validate"/> from its DotNettyTransport: SetClientPipeline names the peer by the
/// remote transport address ("ssl.tcp://etcd@host:port"), SetServerPipeline by the socket's remote endpoint; that is
/// how the two directions are told apart. A refusal is logged naming the peer and the certificate's subject, at most
/// once per peer and reason per 30 s (Akka.Remote retries a refused member about once a second).
/// </summary>
public sealed class PeerCertificateVerifier
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private static readonly TimeSpan WarnEvery = TimeSpan.FromSeconds(30);

    private readonly X509Certificate2Collection? _trusted;
    private readonly RevocationList? _crl;
    private readonly bool _skipVerifyDialled;
    private readonly string _allowedCn;
    private readonly string _allowedHostname;
    private readonly bool _skipClientSan;
    private readonly Capnslog? _log;
    private readonly object _gate = new();
    private readonly PeerWarnings _warnings;

    /// <param name="trusted">--peer-trusted-ca-file's certificates; null: the machine's roots (Go's nil RootCAs).</param>
    /// <param name="crl">--peer-crl-file, checked for members that dial us.</param>
    /// <param name="skipVerifyDialled">--peer-auto-tls: a dialled member's certificate is not verified.</param>
    /// <param name="allowedCn">--peer-cert-allowed-cn ("" for none).</param>
    /// <param name="allowedHostname">--peer-cert-allowed-hostname ("" for none).</param>
    /// <param name="log">Where refusals are written (null: nowhere, for unit specs).</param>
    /// <param name="skipClientSan">--experimental-peer-skip-client-san-verification: a dialling member's SANs need not name its address.</param>
    public PeerCertificateVerifier(X509Certificate2Collection? trusted, RevocationList? crl, bool skipVerifyDialled,
        string allowedCn, string allowedHostname, Capnslog? log, bool skipClientSan = false)
    {
        _skipClientSan = skipClientSan;
        if (trusted is { Count: 0 }) throw new ArgumentException("no certificate in the trusted CA file", nameof(trusted));
        _trusted = trusted;
        _crl = crl;
        _skipVerifyDialled = skipVerifyDialled;
        _allowedCn = allowedCn;
        _allowedHostname = allowedHostname;
        _log = log;
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        _warnings = new PeerWarnings(WarnEvery, 64, () => clock.GetElapsedTime(start));
    }

    /// <summary>Akka.Remote's CertificateValidationCallback: true accepts the handshake.</summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        var dialled = peer.Contains("://", StringComparison.Ordinal);
        var reason = dialled ? RejectDialled(certificate, errors, chain)
            : RejectDialling(certificate, IPEndPoint.TryParse(peer, out var from) ? Unmapped(from.Address) : null, chain);
        if (reason is null) return true;
        Warn(dialled, peer, certificate, reason);
        return false;
    }

    /// <summary>null when the certificate of a member we dialled is accepted, else why not (in Go's words where Go has them).</summary>
    /// <param name="presented">The chain SslStream built from what the peer presented: its intermediates help build ours.</param>
    public string? RejectDialled(X509Certificate2? certificate, SslPolicyErrors errors, X509Chain? presented = null)
    {
        if (certificate is null) return "tls: server didn't provide a certificate";
        if (!_skipVerifyDialled)
        {
            if (_trusted is null)
            {
                if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0) return "x509: certificate signed by unknown authority";
            }
            else if (Chain(certificate, ServerAuth, presented) is { } chainError) return chainError;
            // SslStream checked the name against the host of the Akka address we dialled (the advertised peer URL's).
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return "x509: certificate is not valid for the host dialled";
        }
        return Identity(certificate);
    }

    /// <summary>
    /// null when the certificate of a member that dialled us from <paramref name="from"/> is accepted, else why not. After
    /// the chain and the allowed CN or host name (Go's handshake), etcd 3.4's listener checks that the certificate's SANs
    /// name the address it dialled from (listener_tls.go checkSAN: an IP SAN, else a DNS name that resolves to it) and
    /// then the CRL.
    /// </summary>
    public string? RejectDialling(X509Certificate2? certificate, IPAddress? from = null, X509Chain? presented = null)
    {
        if (certificate is null) return "tls: client didn't provide a certificate";
        // A certificate is asked for only with a trusted CA (PeerTlsSetup requires one for --peer-client-cert-auth).
        if (_trusted is not null && Chain(certificate, ClientAuth, presented) is { } chainError) return chainError;
        if (Identity(certificate) is { } identityError) return identityError;
        if (!_skipClientSan && from is not null && San(certificate, from) is { } sanError) return sanError;
        if (_crl is not null && _crl.Revokes(certificate.SerialNumberBytes.Span)) return "transport: certificate revoked";
        return null;
    }

    /// <summary>etcd 3.4 checkCertSAN, with its messages; a certificate without IP or DNS SANs passes, as there.</summary>
    private static string? San(X509Certificate2 certificate, IPAddress from)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return null;
        var ips = san.EnumerateIPAddresses().Select(Unmapped).ToList();
        var names = san.EnumerateDnsNames().ToList();
        if (ips.Count == 0 && names.Count == 0) return null;
        if (ips.Contains(from)) return null;
        if (names.Count == 0) return $"x509: certificate is valid for {string.Join(", ", ips)}, not {from}";
        foreach (var name in names)
        {
            try
            {
                // Blocking, as etcd's net.LookupHost: once per accepted connection, on the transport's thread.
                if (Dns.GetHostAddresses(name).Select(Unmapped).Contains(from)) return null;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Like a name that resolves elsewhere.
            }
        }
        return $"tlsconn: \"{from}\" does not match any of DNSNames [{string.Join(' ', names.Select(n => $"\"{n}\""))}]";
    }

    /// <summary>
    /// Our own chain to --peer-trusted-ca-file. No downloads: an AIA caIssuers URL in a stranger's certificate would
    /// otherwise make us fetch it, blocking the DotNetty event loop that calls us (Go never fetches). The intermediates
    /// the peer presented (SslStream's chain) go in the extra store, so an intermediate CA works without them.
    /// </summary>
    private string? Chain(X509Certificate2 certificate, Oid usage, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted!);
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // etcd checks only its CRL file
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (chain.Build(certificate)) return null;
        var status = chain.ChainStatus.Select(s => s.Status).Aggregate(X509ChainStatusFlags.NoError, (a, b) => a | b);
        return "x509: " + ClientCertificateVerifier.Describe(status);
    }

    /// <summary>etcd 3.4 baseConfig's VerifyPeerCertificate, with its message (it says "client" both ways).</summary>
    private string? Identity(X509Certificate2 certificate)
    {
        if (_allowedHostname.Length > 0)
        {
            // Go ≥ 1.15's VerifyHostname never falls back to the CN (etcd 3.4.x is built with it).
            return certificate.MatchesHostname(_allowedHostname, allowWildcards: true, allowCommonName: false)
                ? null : "client certificate authentication failed";
        }
        if (_allowedCn.Length > 0)
            return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) == _allowedCn ? null : "client certificate authentication failed";
        return null;
    }

    private void Warn(bool dialled, string peer, X509Certificate2? certificate, string reason)
    {
        if (_log is null) return;
        // A dialling member's port changes with every attempt: it is known by its address.
        var who = dialled ? peer : IPEndPoint.TryParse(peer, out var ep) ? Unmapped(ep.Address).ToString() : peer;
        long suppressed;
        lock (_gate)
        {
            if (!_warnings.ShouldWarn(who + " " + reason, out suppressed)) return;
        }
        var subject = certificate is null ? "none" : $"\"{certificate.Subject}\"";
        var more = suppressed > 0 ? $" ({suppressed} more since the last warning)" : "";
        _log.Warning(dialled ? "rafthttp" : "embed", dialled
            ? $"rejected the certificate of peer {peer} (certificate {subject}, error \"{reason}\"){more}"
            : $"rejected connection from \"{who}\" (certificate {subject}, error \"{reason}\"){more}");
    }

    private static IPAddress Unmapped(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
