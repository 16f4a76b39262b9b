namespace Etcd.Actors.Compactor.Core;

/// <summary>
/// etcd 3.4's revision compactor (etcdserver/api/v3compactor/revision.go): every 5 minutes (etcd's revInterval;
/// ours is etcd.compactor.revision-check-interval, 5m by default), compact to the
/// current revision minus the retention, unless that is not positive or is the revision last compacted to.
/// Nothing happens while paused (not the leader); a failed compaction is tried again 5 minutes later.
/// </summary>
public sealed class RevisionPolicy : ICompactionPolicy
{
    private readonly long _retention;
    private long _prev;

    public RevisionPolicy(long retention, TimeSpan interval)
    {
        if (retention <= 0) throw new ArgumentOutOfRangeException(nameof(retention), retention, "revision compaction needs a positive retention");
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "the check interval must be positive");
        _retention = retention;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    public void Started(TimeSpan now, long currentRevision)
    {
    }

    public long? Tick(TimeSpan now, long currentRevision, bool paused)
    {
        if (paused) return null;
        var rev = currentRevision - _retention;
        if (rev <= 0 || rev == _prev) return null;
        return rev;
    }

    public void Succeeded(TimeSpan now, long revision) => _prev = revision;
}
