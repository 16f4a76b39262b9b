using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Compactor.Core;
using Etcd.Actors.Configuration;
using Etcd.Actors.Errors;

namespace Etcd.Actors.Compactor;

/// <summary>
/// /user/compactor: --auto-compaction-mode/--auto-compaction-retention (etcd's v3compactor). A thin shell around
/// an <see cref="ICompactionPolicy"/>: one keyed timer, the current revision read from the member, and the
/// compaction PROPOSED through Raft like <c>etcdctl compact</c> (never applied locally), so every member compacts
/// at the same point of the log. As in etcd 3.4, it runs on every member and is paused where the member does not
/// lead (server.go pauses it on step-down and resumes it on election): a follower keeps sampling, so a new leader
/// compacts as soon as it is due. One turn at a time: the next tick is armed only once the turn's proposal has been
/// answered, as etcd's loop waits after Compact returns. Logs etcd's capnslog lines.
/// </summary>
public sealed class CompactorActor : ReceiveActor, IWithTimers
{
    private const string TickTimer = "compactor-tick";

    private readonly CompactorSettings _settings;
    private readonly ICompactionTarget _target;
    private readonly Func<TimeSpan> _clock;
    private readonly ICompactionPolicy _policy;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _askTimeout;
    private bool _started;

    public ITimerScheduler Timers { get; set; } = null!;

    public CompactorActor(CompactorSettings settings, ICompactionTarget target, TimeSpan askTimeout, Func<TimeSpan>? clock)
    {
        if (!settings.Auto.Enabled) throw new ArgumentException("auto compaction is off (retention 0): start no compactor", nameof(settings));
        _settings = settings;
        _target = target;
        _askTimeout = askTimeout;
        var scheduler = Context.System.Scheduler;
        _clock = clock ?? (() => scheduler.MonotonicClock);
        _policy = settings.Auto.NewPolicy(_clock(), settings.RevisionCheckInterval);

        Receive<CompactorProtocol.RevisionRead>(OnRevision);
        Receive<CompactorProtocol.Tick>(_ => ReadRevision(starting: !_started));
        Receive<CompactorProtocol.CompactionDone>(OnCompactionDone);
    }

    /// <param name="clock">Monotonic time for the policy; null: the scheduler's monotonic clock.</param>
    public static Props Props(CompactorSettings settings, ICompactionTarget target, TimeSpan askTimeout, Func<TimeSpan>? clock = null) =>
        Akka.Actor.Props.Create(() => new CompactorActor(settings, target, askTimeout, clock));

    protected override void PreStart()
    {
        _log.Info("auto-compaction-mode {0} with retention {1} (checked every {2})",
            _settings.Auto.Mode.ToString().ToLowerInvariant(), _settings.Auto.RetentionText, GoDurations.Format(_policy.Interval));
        ReadRevision(starting: true);
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private void ReadRevision(bool starting)
    {
        var ct = _stop.Token;
        _target.CurrentRevisionAsync(ct).WaitAsync(_askTimeout, ct).PipeTo(Self,
            success: rev => new CompactorProtocol.RevisionRead(rev, null, starting),
            failure: e => new CompactorProtocol.RevisionRead(0, Message(e), starting));
    }

    private void OnRevision(CompactorProtocol.RevisionRead r)
    {
        if (r.Error is not null)
        {
            // Without a revision there is nothing to sample or decide; the next turn tries again.
            _log.Debug("auto-compaction could not read the current revision: {0}", r.Error);
            Arm();
            return;
        }
        if (r.Starting)
        {
            _started = true;
            _policy.Started(_clock(), r.Revision);
            Arm();
            return;
        }
        var due = _policy.Tick(_clock(), r.Revision, paused: !_target.IsLeader);
        if (due is not { } rev)
        {
            Arm();
            return;
        }
        _log.Info("Starting auto-compaction at revision {0} (retention: {1})", rev, _settings.Auto.RetentionText);
        Context.System.EventStream.Publish(new CompactorProtocol.CompactionProposed(rev));
        var ct = _stop.Token;
        _target.CompactAsync(rev, ct).WaitAsync(_askTimeout, ct).PipeTo(Self,
            success: () => new CompactorProtocol.CompactionDone(rev, null, false),
            failure: e => e is EtcdException { Error: var err } && err == EtcdErrors.Compacted
                ? new CompactorProtocol.CompactionDone(rev, null, true)
                : new CompactorProtocol.CompactionDone(rev, Message(e), false));
    }

    private void OnCompactionDone(CompactorProtocol.CompactionDone d)
    {
        if (d.Error is null)
        {
            // etcd counts "already compacted" as done too.
            _policy.Succeeded(_clock(), d.Revision);
            _log.Info("Finished auto-compaction at revision {0}", d.Revision);
        }
        else
        {
            _log.Warning("Failed auto-compaction at revision {0} ({1})", d.Revision, d.Error);
            _log.Warning("Retry after {0}", GoDurations.Format(_policy.Interval));
        }
        Arm();
    }

    private void Arm()
    {
        Timers.StartSingleTimer(TickTimer, CompactorProtocol.Tick.Instance, _policy.Interval);
        Context.System.EventStream.Publish(new CompactorProtocol.TurnEnded(_policy.Interval));
    }

    private static string Message(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Message(a.InnerExceptions[0]),
        TimeoutException => "request timed out",
        _ => e.Message,
    };
}
