using Etcd.Actors.Mvcc;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// Issue 11's memory goal: the backend's SQLite page cache is etcd.mvcc.backend-cache-size (8 MiB), not the 32 MiB it
/// was, which took a member's peak RSS under 3 x 30k puts and 20k ranges from 233-235 MB to 215-217 MB
/// (docs/benchmarks.md, "Memory and start-up"). The cache is per connection and not stored in the file, so the
/// connection the backend opened is asked.
/// </summary>
public sealed class SqliteBackendCacheSpecs
{
    [Fact]
    public void The_backend_opens_with_the_configured_page_cache()
    {
        Assert.Equal(8L << 20, MvccSettings.Default.BackendCacheBytes);
        using var dir = new TempDir();
        using (var b = SqliteBackend.Open(dir.Sub("mvcc.db")))
            Assert.Equal(-8192, b.CacheSizePragma); // negative: KiB (https://sqlite.org/pragma.html#pragma_cache_size)
        using (var b = SqliteBackend.Open(dir.Sub("mvcc.db"), 1 << 20))
            Assert.Equal(-1024, b.CacheSizePragma);
    }
}
