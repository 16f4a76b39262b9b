using Akka.Configuration;
using Etcd.Actors.Compactor.Core;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Compactor;

/// <summary>
/// CompactorActor's knobs: etcd's --auto-compaction-mode and --auto-compaction-retention (top-level keys) and
/// <c>etcd.compactor.*</c>, read by <see cref="Create"/> from reference.conf (no defaults in code).
/// </summary>
public sealed record CompactorSettings
{
    private CompactorSettings()
    {
    }

    /// <summary>Mode and retention, parsed as etcd parses them.</summary>
    public required AutoCompaction Auto { get; init; }

    /// <summary>etcd.compactor.revision-check-interval: how often revision mode looks (etcd's revInterval, 5 minutes).</summary>
    public required TimeSpan RevisionCheckInterval { get; init; }

    /// <summary>Reads the keys, falling back to reference.conf; a bad value throws <see cref="ArgumentException"/> (etcd's message for the flags).</summary>
    public static CompactorSettings Create(Config config)
    {
        var r = new SettingsReader(config);
        var interval = r.Duration("etcd.compactor.revision-check-interval");
        if (interval <= TimeSpan.Zero) throw new ArgumentException($"etcd.compactor.revision-check-interval must be positive, got {interval}");
        return new CompactorSettings
        {
            Auto = AutoCompaction.Parse(r.String("etcd.auto-compaction-mode"), r.String("etcd.auto-compaction-retention")),
            RevisionCheckInterval = interval,
        };
    }
}
