namespace Etcd.Node.Configuration;

/// <summary>
/// etcd's peer TLS flags (embed.Config.PeerTLSInfo, PeerAutoTLS), checked as etcd checks them at start-up
/// (<see cref="From"/>). Served by Akka.Remote's TLS on the peer port when the peer URLs are https
/// (Etcd.Node/Tls/PeerTlsSetup.cs).
/// </summary>
public sealed record PeerTlsOptions
{
    /// <summary>--peer-cert-file: PEM certificate of this member.</summary>
    public required string CertFile { get; init; }

    /// <summary>--peer-key-file: PEM private key of <see cref="CertFile"/>.</summary>
    public required string KeyFile { get; init; }

    /// <summary>--peer-trusted-ca-file: PEM CA bundle peers' certificates must chain to.</summary>
    public required string TrustedCaFile { get; init; }

    /// <summary>--peer-client-cert-auth: a member that dials us must present a certificate signed by the trusted CA.</summary>
    public required bool ClientCertAuth { get; init; }

    /// <summary>--peer-crl-file: PEM or DER CRL; a dialling member whose certificate it lists is refused.</summary>
    public required string CrlFile { get; init; }

    /// <summary>--peer-cert-allowed-cn: only a peer certificate with this common name is accepted.</summary>
    public required string AllowedCn { get; init; }

    /// <summary>--peer-cert-allowed-hostname: only a peer certificate valid for this host name is accepted.</summary>
    public required string AllowedHostname { get; init; }

    /// <summary>--peer-auto-tls: a self-signed certificate under &lt;data-dir&gt;/fixtures/peer when no cert/key are given.</summary>
    public required bool AutoTls { get; init; }

    /// <summary>--experimental-peer-skip-client-san-verification: a dialling member's SANs need not name its address.</summary>
    public required bool SkipClientSanVerify { get; init; }

    /// <summary>Whether the peer port speaks TLS: the peer URLs are https (all of them, <see cref="From"/>).</summary>
    public required bool Enabled { get; init; }

    /// <summary>etcd's TLSInfo.Empty(): neither a certificate nor a key file given.</summary>
    public bool Empty => CertFile.Length == 0 && KeyFile.Length == 0;

    /// <summary>etcd 3.4 (transport.TLSInfo.ServerConfig): a trusted CA file alone already requires a client certificate.</summary>
    public bool RequireClientCertificate => ClientCertAuth || TrustedCaFile.Length > 0;

    public static PeerTlsOptions From(IReadOnlyDictionary<string, object> values)
    {
        var listen = (string[])values["listen-peer-urls"];
        var advertise = (string[])values["initial-advertise-peer-urls"];
        var cluster = FlagCatalog.InitialClusterUrlList((string)values["initial-cluster"]);
        var all = listen.Concat(advertise).Concat(cluster).ToArray();
        var enabled = listen.Any(IsHttps);
        // Akka.Remote runs one transport per member, plain TCP or TLS: it cannot listen on one scheme and dial
        // another, as etcd's per-URL transports can. A mix would only fail later, at the first connection.
        if (all.FirstOrDefault(u => IsHttps(u) != enabled) is { } odd)
            throw new FlagException($"peer URLs must be all http or all https (Akka.Remote runs one transport per member): {odd} does not match {listen[0]}");
        var options = new PeerTlsOptions
        {
            CertFile = (string)values["peer-cert-file"],
            KeyFile = (string)values["peer-key-file"],
            TrustedCaFile = (string)values["peer-trusted-ca-file"],
            ClientCertAuth = (bool)values["peer-client-cert-auth"],
            CrlFile = (string)values["peer-crl-file"],
            AllowedCn = (string)values["peer-cert-allowed-cn"],
            AllowedHostname = (string)values["peer-cert-allowed-hostname"],
            AutoTls = (bool)values["peer-auto-tls"],
            SkipClientSanVerify = (bool)values["experimental-peer-skip-client-san-verification"],
            Enabled = enabled,
        };
        // etcd 3.4 (transport.NewListener → newTLSListener): an https listener needs a certificate, given or made.
        if (enabled && options.Empty && !options.AutoTls)
            throw new FlagException($"cannot listen on TLS for {HostPort(listen[0])}: KeyFile and CertFile are not presented");
        // etcd 3.4 (transport.TLSInfo.baseConfig, reached whenever peer TLS is configured): both checks at once is an error.
        if ((!options.Empty || options.AutoTls) && options.AllowedCn.Length > 0 && options.AllowedHostname.Length > 0)
        {
            throw new FlagException($"AllowedCN and AllowedHostname are mutually exclusive (cn={GoQuote(options.AllowedCn)}, " +
                $"hostname={GoQuote(options.AllowedHostname)})");
        }
        return options;
    }

    public static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.Ordinal);

    private static string GoQuote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string HostPort(string url) => url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
}
