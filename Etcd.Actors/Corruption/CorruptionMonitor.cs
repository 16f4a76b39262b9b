using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Configuration;
using Etcd.Actors.Corruption.Core;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using AlarmAction = Etcd.Api.Etcdserverpb.AlarmRequest.Types.AlarmAction;

namespace Etcd.Actors.Corruption;

/// <summary>
/// --experimental-corrupt-check-time (etcd's monitorKVHash / checkHashKV): every interval, if this member
/// leads, hash its own store, ask every member for its hash at that revision, make sure (linearizable read)
/// it has applied everything they could have, hash again, and on a mismatch propose
/// <c>AlarmRequest{ACTIVATE, CORRUPT, memberID 0}</c> through Raft, so every member applies the alarm and
/// refuses writes with "etcdserver: corrupt cluster". memberID is 0 as in etcd 3.4.23 (which member is
/// corrupt is not clear from two hashes: etcd-io/etcd#14828). One check at a time; a failed round is logged
/// and the next interval tries again.
/// </summary>
public sealed class CorruptionMonitor
{
    private readonly ActorSystem _system;
    private readonly EtcdServer _server;
    private readonly MemberStatus _status;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log;

    public CorruptionMonitor(ActorSystem system, EtcdServer server, MemberStatus status)
    {
        _system = system;
        _server = server;
        _status = status;
        _interval = server.Settings.CorruptCheckTime;
        _askTimeout = server.Settings.RequestTimeout;
        _log = Logging.GetLogger(system.EventStream, "/user/etcd/corruption");
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled; returns at once when the check is off.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_interval <= TimeSpan.Zero) return;
        _log.Info("enabled corruption checking with {0} interval", GoDurations.Format(_interval));
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (_status.Leader != _server.MemberId) continue;
                try
                {
                    await CheckAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // etcd logs this at debug level and tries again next interval (no leader, a timeout, ...).
                    _log.Debug("check hash kv failed {0}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The member is stopping.
        }
    }

    /// <summary>One round of etcd's checkHashKV; true when it raised CORRUPT.</summary>
    internal async Task<bool> CheckAsync(CancellationToken ct)
    {
        var before = Sample(await _server.LocalHashKvAsync(0, ct).ConfigureAwait(false));
        var members = (await _server.MemberListAsync(ct).ConfigureAwait(false)).Members
            .Select(m => (m.ID, (IReadOnlyList<string>)m.PeerURLs.ToArray()));
        var peers = await PeerHashKvClient.AskAsync(_system, _server.MemberId, _server.ClusterId, members, before.Revision, _askTimeout, ct).ConfigureAwait(false);
        foreach (var p in peers.Where(p => p.Sample is null && p.Error is not null))
            _log.Warning("{0:x} hash-kv error \"{1}\" on peer \"{2}\" with revision {3}", _server.MemberId, p.Error, p.PeerUrls[0], before.Revision);

        await _server.LinearizableBarrierAsync(ct).ConfigureAwait(false);
        var after = Sample(await _server.LocalHashKvAsync(0, ct).ConfigureAwait(false));

        var (warnings, corrupt, checkedCount) = CorruptionVerdict.Periodic(before, after, peers);
        foreach (var w in warnings) _log.Warning(w);
        if (corrupt)
        {
            var alarm = new AlarmRequest { Action = AlarmAction.Activate, MemberID = 0, Alarm = AlarmType.Corrupt };
            try
            {
                await _server.AlarmAsync(alarm, ct).ConfigureAwait(false);
            }
            catch (EtcdException e)
            {
                _log.Warning("failed to raise the CORRUPT alarm: {0}", e.Message);
            }
        }
        _log.Info("finished peer corruption check ({0} peers checked)", checkedCount);
        return corrupt;
    }

    private static HashKvSample Sample(HashKVResponse r) => new(r.Hash, r.Header.Revision, r.CompactRevision);
}
