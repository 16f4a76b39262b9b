using System.Globalization;
using Etcd.Actors.Configuration;

namespace Etcd.Actors.Compactor.Core;

/// <summary>
/// --auto-compaction-mode with --auto-compaction-retention, read as etcd 3.4's embed.parseCompactionRetention
/// does: a whole number ≥ 0 is hours in periodic mode and revisions in revision mode; anything else must be a Go
/// duration (in revision mode etcd then takes the duration's nanoseconds as the revision count, and so does this).
/// A zero retention turns auto compaction off (etcd starts no compactor).
/// </summary>
public sealed record AutoCompaction(CompactionMode Mode, TimeSpan Period, long Revisions)
{
    /// <summary>Whether a compactor runs at all.</summary>
    public bool Enabled => Mode == CompactionMode.Periodic ? Period > TimeSpan.Zero : Revisions > 0;

    /// <summary>The policy this setting runs, created at <paramref name="now"/>; revision mode checks every <paramref name="revisionInterval"/>.</summary>
    public ICompactionPolicy NewPolicy(TimeSpan now, TimeSpan revisionInterval) =>
        Mode == CompactionMode.Periodic ? new PeriodicPolicy(Period, now) : new RevisionPolicy(Revisions, revisionInterval);

    /// <summary>The retention as etcd logs it: "1h0m0s" in periodic mode, "10 revisions" in revision mode.</summary>
    public string RetentionText => Mode == CompactionMode.Periodic ? GoDurations.Format(Period) : $"{Revisions} revisions";

    /// <summary>Parses the two flags; throws <see cref="ArgumentException"/> with etcd's message.</summary>
    public static AutoCompaction Parse(string mode, string retention)
    {
        var m = mode switch
        {
            "periodic" => CompactionMode.Periodic,
            "revision" => CompactionMode.Revision,
            // etcd's embed.Config.Validate.
            _ => throw new ArgumentException($"unknown auto-compaction-mode \"{mode}\""),
        };
        if (int.TryParse(retention, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= 0)
            return m == CompactionMode.Periodic ? new AutoCompaction(m, TimeSpan.FromHours(n), 0) : new AutoCompaction(m, TimeSpan.Zero, n);
        if (!GoDurations.TryParse(retention, out var d, out var error))
            throw new ArgumentException($"error parsing CompactionRetention: time: {error} \"{retention}\"");
        if (d < TimeSpan.Zero) throw new ArgumentException($"error parsing CompactionRetention: negative retention \"{retention}\"");
        // etcd: time.Duration(int64(h)) for revisions, i.e. the duration's nanoseconds.
        return m == CompactionMode.Periodic ? new AutoCompaction(m, d, 0) : new AutoCompaction(m, TimeSpan.Zero, d.Ticks * 100);
    }
}
