using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Etcd.Node.Tls;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// How a peer's certificate is judged on the peer port (Etcd.Node/Tls/PeerCertificateVerifier.cs), both ways, with
/// etcd 3.4's rules: the trusted CA, the usage, the CRL for a member that dials us, the allowed CN or host name, and
/// --peer-auto-tls's skipped verification of a member we dial. Certificates from <see cref="TestCertificates"/>.
/// </summary>
public sealed class PeerCertificateVerifierSpecs : IDisposable
{
    private const string Dialled = "ssl.tcp://etcd@127.0.0.1:2380";
    private const string Dialling = "[::ffff:127.0.0.1]:50123";
    private readonly TempDir _dir = new("etcd-peer-verifier");
    private readonly TestCertificates _pki;
    private readonly X509Certificate2 _member;
    private readonly X509Certificate2 _other;
    private readonly X509Certificate2 _revoked;
    private readonly X509Certificate2 _serverOnly;
    private readonly X509Certificate2 _otherCn;
    private readonly string _crl;

    public PeerCertificateVerifierSpecs()
    {
        _pki = new TestCertificates(_dir.Path);
        _member = Load(_pki.IssuePeer("member", "member", 2001));
        _other = Load(_pki.IssuePeerFromAnotherCa("intruder", "member", 2002));
        _revoked = Load(_pki.IssuePeer("revoked-member", "member", 2003));
        _serverOnly = Load(_pki.Server);
        _otherCn = Load(_pki.IssuePeer("someone", "someone", 2004));
        _crl = _pki.WriteCrl("peers.crl", 2003);
    }

    public void Dispose()
    {
        foreach (var c in new[] { _member, _other, _revoked, _serverOnly, _otherCn }) c.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_member_that_dials_us_must_present_a_certificate_of_the_trusted_ca_for_client_use_that_the_crl_does_not_list()
    {
        var v = Verifier();
        Assert.Null(v.RejectDialling(_member));
        Assert.Equal("tls: client didn't provide a certificate", v.RejectDialling(null));
        Assert.Equal("x509: certificate signed by unknown authority", v.RejectDialling(_other));
        Assert.Equal("x509: certificate specifies an incompatible key usage", v.RejectDialling(_serverOnly));
        Assert.Equal("transport: certificate revoked", v.RejectDialling(_revoked));
    }

    [Fact]
    public void A_member_we_dial_must_present_a_certificate_of_the_trusted_ca_valid_for_the_host_dialled()
    {
        var v = Verifier();
        Assert.Null(v.RejectDialled(_member, SslPolicyErrors.RemoteCertificateChainErrors)); // the machine's roots do not know our CA
        Assert.Null(v.RejectDialled(_serverOnly, SslPolicyErrors.None));
        Assert.Equal("x509: certificate signed by unknown authority", v.RejectDialled(_other, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Equal("x509: certificate is not valid for the host dialled", v.RejectDialled(_member, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.Equal("tls: server didn't provide a certificate", v.RejectDialled(null, SslPolicyErrors.RemoteCertificateNotAvailable));
        // etcd checks its CRL only on its listener.
        Assert.Null(v.RejectDialled(_revoked, SslPolicyErrors.None));
    }

    [Fact]
    public void With_peer_auto_tls_a_dialled_members_certificate_is_not_verified_as_etcd_skips_it_for_a_self_signed_one()
    {
        var v = new PeerCertificateVerifier(null, null, skipVerifyDialled: true, "", "", null);
        Assert.Null(v.RejectDialled(_other, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
    }

    [Fact]
    public void Allowed_cn_and_allowed_hostname_refuse_every_other_certificate_both_ways()
    {
        var byCn = Verifier(allowedCn: "member");
        Assert.Null(byCn.RejectDialling(_member));
        Assert.Equal("client certificate authentication failed", byCn.RejectDialling(_otherCn));
        Assert.Equal("client certificate authentication failed", byCn.RejectDialled(_otherCn, SslPolicyErrors.None));
        var byHost = Verifier(allowedHostname: "localhost");
        Assert.Null(byHost.RejectDialling(_member));
        var elsewhere = Verifier(allowedHostname: "etcd.example.com");
        Assert.Equal("client certificate authentication failed", elsewhere.RejectDialling(_member));
        Assert.Equal("client certificate authentication failed", elsewhere.RejectDialled(_member, SslPolicyErrors.None));
    }

    [Fact]
    public void Akka_remotes_callback_is_told_apart_by_how_it_names_the_peer()
    {
        var v = Verifier();
        // Dialled (SetClientPipeline names the remote transport address): the host name counts.
        Assert.False(v.Validate(_member, null, Dialled, SslPolicyErrors.RemoteCertificateNameMismatch, NoLogger.Instance));
        Assert.True(v.Validate(_member, null, Dialled, SslPolicyErrors.None, NoLogger.Instance));
        // Dialling us (SetServerPipeline names the socket's endpoint): no host to match, but the CRL counts.
        Assert.True(v.Validate(_member, null, Dialling, SslPolicyErrors.RemoteCertificateNameMismatch, NoLogger.Instance));
        Assert.False(v.Validate(_revoked, null, Dialling, SslPolicyErrors.None, NoLogger.Instance));
    }

    [Fact]
    public void A_dialling_members_certificate_must_name_the_address_it_dials_from_unless_that_check_is_skipped()
    {
        // The member certificate names 127.0.0.1 and localhost (which resolves to loopback, never 127.0.0.2).
        var v = Verifier();
        Assert.True(v.Validate(_member, null, "127.0.0.1:50123", SslPolicyErrors.None, NoLogger.Instance));
        Assert.True(v.Validate(_member, null, "[::ffff:127.0.0.1]:50123", SslPolicyErrors.None, NoLogger.Instance));
        Assert.False(v.Validate(_member, null, "[::ffff:127.0.0.2]:50123", SslPolicyErrors.None, NoLogger.Instance));
        Assert.Equal("tlsconn: \"127.0.0.2\" does not match any of DNSNames [\"localhost\"]",
            v.RejectDialling(_member, System.Net.IPAddress.Parse("127.0.0.2")));
        Assert.Null(Verifier(skipClientSan: true).RejectDialling(_member, System.Net.IPAddress.Parse("127.0.0.2")));
    }

    [Fact]
    public void A_certificate_of_an_unknown_issuer_naming_an_aia_url_is_refused_without_fetching_it()
    {
        // A listener that never answers: had the verifier fetched the caIssuers URL, its connection would be queued here.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/issuer.cer";
            using var unknownCa = Authority("unknown-ca", null);
            using var stranger = Issue(unknownCa, "stranger", ca: false, aia: url, dns: null);
            Assert.Equal("x509: certificate signed by unknown authority", Verifier().RejectDialling(stranger));
            Assert.Equal("x509: certificate signed by unknown authority", Verifier().RejectDialled(stranger, SslPolicyErrors.None));
            Assert.False(listener.Pending(), $"the verifier dialled the certificate's AIA URL {url}");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void A_certificate_of_an_intermediate_ca_is_accepted_with_the_intermediate_the_peer_presented()
    {
        using var root = Authority("root-ca", null);
        using var intermediate = Authority("intermediate-ca", root);
        using var leaf = Issue(intermediate, "member", ca: false, aia: null, dns: "localhost");
        using var presented = new X509Chain();
        presented.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        presented.ChainPolicy.CustomTrustStore.Add(root);
        presented.ChainPolicy.ExtraStore.Add(intermediate);
        presented.ChainPolicy.DisableCertificateDownloads = true;
        presented.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(presented.Build(leaf), string.Join(", ", presented.ChainStatus.Select(c => c.StatusInformation)));
        var v = Trusting(root);
        Assert.Null(v.RejectDialling(leaf, null, presented));
        Assert.Null(v.RejectDialled(leaf, SslPolicyErrors.None, presented));
        Assert.Equal("x509: certificate signed by unknown authority", v.RejectDialling(leaf));
    }

    [Fact]
    public void Allowed_hostname_is_matched_against_the_sans_never_the_cn_as_go_does()
    {
        using var root = Authority("root-ca", null);
        using var cnOnly = Issue(root, "etcd.example.com", ca: false, aia: null, dns: null);
        using var named = Issue(root, "member", ca: false, aia: null, dns: "etcd.example.com");
        var v = Trusting(root, allowedHostname: "etcd.example.com");
        Assert.Equal("client certificate authentication failed", v.RejectDialling(cnOnly));
        Assert.Equal("client certificate authentication failed", v.RejectDialled(cnOnly, SslPolicyErrors.None));
        Assert.Null(v.RejectDialling(named));
    }

    [Fact]
    public void A_crl_rewritten_into_a_truncated_pem_keeps_the_previous_list_and_one_at_start_is_refused_naming_it()
    {
        var path = Path.Combine(_dir.Path, "rewritten.crl");
        File.Copy(_crl, path);
        var time = new Etcd.Specs.Lease.ManualTime();
        var crl = RevocationList.Load(path, time);
        var serial = _revoked.SerialNumberBytes.ToArray();
        Assert.True(crl.Revokes(serial));

        // Half rewritten: the END line is not there yet.
        var text = File.ReadAllText(_crl);
        File.WriteAllText(path, text[..text.IndexOf("-----END", StringComparison.Ordinal)]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(crl.Revokes(serial));

        // At start it stops the member with one line (NodeRunner reports a CryptographicException) naming the file.
        var e = Assert.Throws<CryptographicException>(() => RevocationList.Load(path));
        Assert.StartsWith($"cannot parse CRL file {path}: malformed CRL", e.Message);
    }

    private PeerCertificateVerifier Verifier(string allowedCn = "", string allowedHostname = "", bool skipClientSan = false)
    {
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(_pki.CaFile);
        return new PeerCertificateVerifier(trusted, RevocationList.Load(_crl), skipVerifyDialled: false, allowedCn, allowedHostname, null, skipClientSan);
    }

    private static PeerCertificateVerifier Trusting(X509Certificate2 root, string allowedHostname = "") =>
        new([X509CertificateLoader.LoadCertificate(root.RawData)], null, skipVerifyDialled: false, "", allowedHostname, null);

    /// <summary>A CA with its key: self-signed, or signed by <paramref name="issuer"/>.</summary>
    private static X509Certificate2 Authority(string cn, X509Certificate2? issuer) => Issue(issuer, cn, ca: true, aia: null, dns: null);

    private static X509Certificate2 Issue(X509Certificate2? issuer, string cn, bool ca, string? aia, string? dns)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(ca
            ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign
            : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (!ca) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (issuer is not null) request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (aia is not null) request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [aia]));
        if (dns is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dns);
            request.CertificateExtensions.Add(san.Build());
        }
        var now = DateTimeOffset.UtcNow;
        if (issuer is null) return request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        using var signed = request.Create(issuer, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 Load(TestCertificates.Pair pair) => X509CertificateLoader.LoadCertificateFromFile(pair.CertFile);
}
