using Akka.Configuration;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// MvccStoreActor's knobs, from <c>etcd.mvcc</c> in reference.conf through <see cref="Create"/> (no defaults
/// in code), plus the backend file, which the member sets from its data directory.
/// </summary>
public sealed record MvccSettings
{
    // Only Create and `with` make one, so no knob is silently left at zero.
    private MvccSettings()
    {
    }

    /// <summary>reference.conf's values, with no backend file yet (set <see cref="BackendPath"/>).</summary>
    public static MvccSettings Default { get; } = Create(Config.Empty);

    /// <summary>The SQLite backend file (&lt;data-dir&gt;/member/mvcc.db).</summary>
    public string? BackendPath { get; init; }

    /// <summary>
    /// etcd's minLeaseTTL in seconds: it follows from the Raft tick and election timeout, so the member sets it
    /// (EtcdServerSettings.MvccWithPaths); 2 s is what etcd's default timeouts give.
    /// </summary>
    public long MinLeaseTtl { get; init; } = 2;

    /// <summary>etcd.mvcc.max-pending-reads: read batches waiting for the applied index; beyond it "too many requests".</summary>
    public required int MaxPendingReadBatches { get; init; }

    /// <summary>Reads <c>etcd.mvcc.*</c>, falling back to reference.conf; a bad value throws <see cref="ArgumentException"/> naming the key.</summary>
    public static MvccSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        return new MvccSettings
        {
            MaxPendingReadBatches = r.Int("etcd.mvcc.max-pending-reads", min: 1),
        };
    }
}
