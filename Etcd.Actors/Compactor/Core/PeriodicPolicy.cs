namespace Etcd.Actors.Compactor.Core;

/// <summary>
/// etcd 3.4's periodic compactor (etcdserver/api/v3compactor/periodic.go). The revision is sampled every
/// tenth of the retention period, at most every 6 minutes (periods over an hour are sampled and compacted as if
/// they were an hour long, except for the first wait); the last period/interval + 1 samples are kept. The first
/// compaction comes once a whole period has passed since the start, later ones once the compact interval
/// (the period, at most an hour) has passed since the last success; each compacts to the oldest sample kept,
/// the revision of about one period ago. A paused member (not the leader) keeps sampling but never compacts,
/// so a member that becomes leader compacts as soon as it is due. A failed compaction is tried again next tick.
/// </summary>
public sealed class PeriodicPolicy : ICompactionPolicy
{
    private const int RetryDivisor = 10;
    private static readonly TimeSpan MaxCompactInterval = TimeSpan.FromHours(1);

    private readonly TimeSpan _period;
    private readonly int _retentions;
    private readonly Queue<long> _revs = new();
    private TimeSpan _lastSuccess;
    private TimeSpan _baseInterval;
    private bool _started;

    public PeriodicPolicy(TimeSpan period, TimeSpan now)
    {
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), period, "periodic compaction needs a positive period");
        _period = period;
        CompactInterval = period > MaxCompactInterval ? MaxCompactInterval : period;
        Interval = CompactInterval / RetryDivisor;
        if (Interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(period), period, "period too short to sample ten times");
        _retentions = (int)(period / Interval) + 1;
        _lastSuccess = now;
        _baseInterval = period;
    }

    /// <summary>etcd's getRetryInterval: the sampling (and retry) interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>etcd's getCompactInterval: the time between compactions after the first.</summary>
    public TimeSpan CompactInterval { get; }

    /// <summary>etcd's getRetentions: how many samples are kept.</summary>
    public int Retentions => _retentions;

    /// <summary>The samples kept, oldest first.</summary>
    public IReadOnlyCollection<long> Samples => _revs;

    public void Started(TimeSpan now, long currentRevision)
    {
        if (_started) throw new InvalidOperationException("periodic compactor started twice");
        _started = true;
        _lastSuccess = now;
        Sample(currentRevision);
    }

    public long? Tick(TimeSpan now, long currentRevision, bool paused)
    {
        if (!_started) throw new InvalidOperationException("periodic compactor ticked before it started");
        long? due = null;
        if (!paused && now - _lastSuccess >= _baseInterval)
        {
            // The first compaction waits the whole period; after it, the compact interval.
            if (_baseInterval == _period) _baseInterval = CompactInterval;
            due = _revs.Peek();
        }
        // etcd samples at the top of its loop, i.e. right after this turn's decision and compaction.
        Sample(currentRevision);
        return due;
    }

    public void Succeeded(TimeSpan now, long revision) => _lastSuccess = now;

    private void Sample(long rev)
    {
        _revs.Enqueue(rev);
        if (_revs.Count > _retentions) _revs.Dequeue();
    }
}
