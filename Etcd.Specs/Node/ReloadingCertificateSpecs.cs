using Etcd.Node.Tls;
using Etcd.Specs.Lease;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// The bound on re-reading certificate files (Etcd.Node/Tls/ReloadingCertificate.cs): changed files are picked up at the
/// first look after a second has passed, never sooner, and a pair that does not load keeps the previous one.
/// </summary>
public sealed class ReloadingCertificateSpecs
{
    [Fact]
    public void Changed_files_are_read_again_once_a_second_has_passed_and_not_before()
    {
        using var dir = new TempDir("etcd-reload");
        var pki = new TestCertificates(dir.Sub("pki"));
        var (cert, key) = (dir.Sub("s.pem"), dir.Sub("s-key.pem"));
        File.Copy(pki.Server.CertFile, cert);
        File.Copy(pki.Server.KeyFile, key);
        var time = new ManualTime();
        var reloading = new ReloadingCertificate(cert, key, time, log: null);
        Assert.Equal(pki.Server.SerialHex, reloading.Certificate.SerialNumber);

        var next = pki.IssueServer("next", 2002);
        Replace(key, next.KeyFile);
        Replace(cert, next.CertFile);
        // Make sure the stamps moved even on a file system with coarse timestamps.
        File.SetLastWriteTimeUtc(cert, DateTime.UtcNow.AddSeconds(5));
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(pki.Server.SerialHex, reloading.Certificate.SerialNumber);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(next.SerialHex, reloading.Certificate.SerialNumber);
    }

    [Fact]
    public void A_pair_that_does_not_load_keeps_the_previous_certificate_until_it_does()
    {
        using var dir = new TempDir("etcd-reload-bad");
        var pki = new TestCertificates(dir.Sub("pki"));
        var (cert, key) = (dir.Sub("s.pem"), dir.Sub("s-key.pem"));
        File.Copy(pki.Server.CertFile, cert);
        File.Copy(pki.Server.KeyFile, key);
        var time = new ManualTime();
        var reloading = new ReloadingCertificate(cert, key, time, log: null);

        // Half a rotation: the new certificate, the old key.
        var next = pki.IssueServer("next", 2003);
        Replace(cert, next.CertFile);
        File.SetLastWriteTimeUtc(cert, DateTime.UtcNow.AddSeconds(5));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(pki.Server.SerialHex, reloading.Certificate.SerialNumber);

        Replace(key, next.KeyFile);
        File.SetLastWriteTimeUtc(key, DateTime.UtcNow.AddSeconds(6));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(next.SerialHex, reloading.Certificate.SerialNumber);
    }

    [Fact]
    public void A_missing_pair_at_start_up_throws()
    {
        using var dir = new TempDir("etcd-reload-missing");
        Assert.ThrowsAny<IOException>(() => new ReloadingCertificate(dir.Sub("none.pem"), dir.Sub("none-key.pem"), new ManualTime(), log: null));
    }

    private static void Replace(string target, string source)
    {
        File.Copy(source, target + ".new", overwrite: true);
        File.Move(target + ".new", target, overwrite: true);
    }
}
