using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Alarm.Core;
using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using RequestCase = Etcd.Api.Etcdserverpb.InternalRaftRequest.RequestOneofCase;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Data integrity (etcd's HashKV, Hash and alarms): hashes served from the applied state, and alarm entries
/// applied in log order like any request. The alarm table is written with the batch that changed it and
/// decides which writes are refused (etcd swaps in its corrupt / capped applier while an alarm is raised).
/// </summary>
public sealed partial class MvccStoreActor
{
    private AlarmTable _alarms = AlarmTable.Empty;
    // Set when the batch being applied changed the table: it is staged for the commit.
    private bool _alarmsDirty;

    private void ReceiveIntegrity()
    {
        Receive<IntegrityProtocol.GetHashKv>(HandleHashKv);
        Receive<IntegrityProtocol.GetHash>(HandleHash);
        Receive<IntegrityProtocol.GetAlarms>(m => m.Completion.TrySetResult(_alarms.Get(AlarmType.None)));
        Receive<PeerHashKVRequest>(HandlePeerHashKv);
    }

    /// <summary>One request entry: alarms are applied here, writes refused while an alarm says so, the rest by the applier.</summary>
    private ApplyResult ApplyRequest(InternalRaftRequest request, ulong index)
    {
        if (request.RequestCase == RequestCase.Alarm) return ApplyAlarm(request.Alarm);
        if (_alarms.RefuseWrite(request) is { } refused) return new ApplyResult(null, refused);
        return _applier.Apply(request, _term, index);
    }

    private ApplyResult ApplyAlarm(AlarmRequest request)
    {
        var result = _alarms.Apply(request);
        if (!ReferenceEquals(result.Table, _alarms))
        {
            _alarms = result.Table;
            _alarmsDirty = true;
        }
        switch (result.Transition)
        {
            case AlarmTransition.Raised:
                _log.Warning("alarm {0} raised by peer {1:x}", AlarmName(request.Alarm), request.MemberID);
                break;
            case AlarmTransition.Cleared:
                _log.Info("alarm disarmed {{Action:DEACTIVATE MemberID:{0} Alarm:{1}}}", request.MemberID, AlarmName(request.Alarm));
                break;
        }
        // etcd 3.4 answers alarm requests without a header.
        return new ApplyResult(result.Response, null);
    }

    /// <summary>Stages the alarm table with the batch when the batch changed it.</summary>
    private void StageAlarms()
    {
        if (_alarmsDirty) _backend.StageAlarms(_alarms);
        _alarmsDirty = false;
    }

    private void HandleHashKv(IntegrityProtocol.GetHashKv msg)
    {
        var r = _store.HashKv(msg.Revision);
        if (!r.IsOk)
        {
            msg.Completion.TrySetException(r.Error!.ToException());
            return;
        }
        msg.Completion.TrySetResult(new HashReport(r.Value!.Hash, r.Value.CompactRevision, Header(_term) with { Revision = r.Value.CurrentRevision }));
    }

    private void HandleHash(IntegrityProtocol.GetHash msg) =>
        msg.Completion.TrySetResult(new HashReport(_backend.HashAll(), 0, Header(_term)));

    // Anyone on the peer port may ask: what that costs the store is bounded there.
    private readonly PeerHashKvGate _peerHashes = new(static () => TimeSpan.FromMilliseconds(Environment.TickCount64));

    private void HandlePeerHashKv(PeerHashKVRequest msg)
    {
        long current = _store.CurrentRevision, compacted = _store.CompactedRevision;
        var answer = _peerHashes.Cached(msg.Revision, current, compacted, _term);
        if (answer is null)
        {
            var sender = Sender.IsNobody() || Sender.Path.Address.Host is null ? "local" : Sender.Path.Address.ToString();
            if (!_peerHashes.TryAdmit(sender))
            {
                Sender.Tell(new PeerHashKVResponse { Error = EtcdErrors.TooManyRequests.Message });
                return;
            }
            var r = _store.HashKv(msg.Revision);
            answer = r.IsOk ? new PeerHashKVResponse { Response = HashKvResponse(r.Value!) } : new PeerHashKVResponse { Error = r.Error!.Message };
            _peerHashes.Remember(msg.Revision, current, compacted, _term, answer);
        }
        Sender.Tell(answer);
    }

    private HashKVResponse HashKvResponse(Mvcc.Core.HashKvResult r)
    {
        var header = _applier.Header(_term);
        header.Revision = r.CurrentRevision;
        return new HashKVResponse { Header = header, Hash = r.Hash, CompactRevision = r.CompactRevision };
    }

    /// <summary>Status lists each raised alarm in <c>errors</c>, as etcd's maintenance server does (gogo's compact text form).</summary>
    private IReadOnlyList<string> AlarmErrors()
    {
        // proto.CompactTextString leaves zero fields out: memberID 0 (what the periodic check raises) prints "alarm:CORRUPT ".
        var errors = new List<string>();
        foreach (var a in _alarms.Get(AlarmType.None))
            errors.Add((a.MemberID != 0 ? $"memberID:{a.MemberID} " : "") + (a.Alarm != AlarmType.None ? $"alarm:{AlarmName(a.Alarm)} " : ""));
        return errors;
    }

    private static string AlarmName(AlarmType type) => type switch
    {
        AlarmType.None => "NONE",
        AlarmType.Nospace => "NOSPACE",
        AlarmType.Corrupt => "CORRUPT",
        _ => ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
