using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Etcd.Node.Logging;

namespace Etcd.Node.Tls;

/// <summary>
/// The server certificate of the https client URLs, read from its PEM files and read again when they change, without a
/// restart. etcd 3.4 reads the files at every handshake (transport.TLSInfo's GetCertificate → tlsutil.NewCert); here the
/// files' last-write times are looked at, at most once per <see cref="CheckInterval"/>, and the pair is loaded again
/// only when one of them moved. A pair that cannot be loaded (a half-written file during a rotation, a key that does not
/// match) is logged and the previous certificate kept, so a rotation never takes the port down; it is tried again at
/// the next check.
/// </summary>
public sealed class ReloadingCertificate
{
    /// <summary>How often the files' timestamps are looked at, at most (one stat of each file per interval).</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly Capnslog? _log;
    private readonly object _gate = new();
    private Loaded _current;
    private long _lastCheck;

    private sealed record Loaded(SslStreamCertificateContext Context, X509Certificate2 Certificate, DateTime CertStamp, DateTime KeyStamp);

    /// <summary>Loads the pair now: a missing or unreadable pair at start-up throws, as etcd refuses to start.</summary>
    public ReloadingCertificate(string certFile, string keyFile, TimeProvider time, Capnslog? log)
    {
        _certFile = certFile;
        _keyFile = keyFile;
        _time = time;
        _log = log;
        _current = Load();
        _lastCheck = time.GetTimestamp();
    }

    /// <summary>The certificate in force, with its chain (for the handshake); reloaded first if the files changed.</summary>
    public SslStreamCertificateContext Context => Fresh().Context;

    /// <summary>The leaf certificate in force.</summary>
    public X509Certificate2 Certificate => Fresh().Certificate;

    private Loaded Fresh()
    {
        lock (_gate)
        {
            if (_time.GetElapsedTime(_lastCheck) < CheckInterval) return _current;
            _lastCheck = _time.GetTimestamp();
            var (certStamp, keyStamp) = (File.GetLastWriteTimeUtc(_certFile), File.GetLastWriteTimeUtc(_keyFile));
            if (certStamp == _current.CertStamp && keyStamp == _current.KeyStamp) return _current;
            try
            {
                _current = Load();
                _log?.Info("embed", $"client TLS certificate reloaded from {_certFile} (serial {_current.Certificate.SerialNumber})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                _log?.Warning("embed", $"cannot reload client TLS certificate {_certFile}, {_keyFile}: {e.Message.ReplaceLineEndings(" ")}; keeping the previous one");
                // Not adopting the new stamps: the next check tries again (the writer may not have finished).
            }
            return _current;
        }
    }

    private Loaded Load()
    {
        // Stamps before the contents: a write after this read moves the stamp again and is picked up next time.
        var certStamp = File.GetLastWriteTimeUtc(_certFile);
        var keyStamp = File.GetLastWriteTimeUtc(_keyFile);
        using var pem = X509Certificate2.CreateFromPemFile(_certFile, _keyFile);
        // A PEM-loaded key is ephemeral; SChannel (Windows) cannot use such a key for TLS, so the pair goes through
        // PKCS#12 once per load, which every platform's TLS stack accepts.
        var leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        // The rest of the cert file is the chain, sent in the handshake as Go sends every certificate of the file.
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(_certFile);
        var chain = new X509Certificate2Collection(all.Skip(1).ToArray());
        var context = SslStreamCertificateContext.Create(leaf, chain, offline: true);
        return new Loaded(context, leaf, certStamp, keyStamp);
    }
}
