using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using AlarmAction = Etcd.Api.Etcdserverpb.AlarmRequest.Types.AlarmAction;
using RequestCase = Etcd.Api.Etcdserverpb.InternalRaftRequest.RequestOneofCase;

namespace Etcd.Actors.Alarm.Core;

/// <summary>
/// The cluster's raised alarms (etcd 3.4's v3alarm.AlarmStore plus applierV3backend.Alarm): a set of
/// (member, alarm type), changed only by applying an <see cref="AlarmRequest"/> entry, so every member holds
/// the same table at the same index. Immutable: <see cref="Apply"/> returns the next table. While an alarm is
/// raised, writes are refused as etcd's wrapping appliers refuse them (<see cref="RefuseWrite"/>).
/// </summary>
public sealed class AlarmTable
{
    public static readonly AlarmTable Empty = new([]);

    // Ordered by (type, member): etcd lists from Go maps (no order); a stable one makes `alarm list` repeatable.
    private readonly SortedSet<(AlarmType Type, ulong Member)> _alarms;

    public AlarmTable(IEnumerable<(AlarmType Type, ulong Member)> alarms) => _alarms = new SortedSet<(AlarmType, ulong)>(alarms);

    public int Count => _alarms.Count;

    /// <summary>Every alarm, ordered by type then member.</summary>
    public IEnumerable<(AlarmType Type, ulong Member)> All => _alarms;

    public bool IsActive(AlarmType type) => _alarms.Any(a => a.Type == type);

    /// <summary>etcd's AlarmStore.Get: the alarms of <paramref name="type"/>, or all of them for NONE.</summary>
    public IReadOnlyList<AlarmMember> Get(AlarmType type) =>
        _alarms.Where(a => type == AlarmType.None || a.Type == type)
            .Select(a => new AlarmMember { MemberID = a.Member, Alarm = a.Type }).ToList();

    /// <summary>
    /// Applies one alarm request as etcd's applierV3backend.Alarm does: GET lists; ACTIVATE adds (answering with
    /// the alarm, also when it was raised already); DEACTIVATE removes (answering with the alarm, or nothing
    /// when it was not raised). The response has no header: the applier stamps it. Unknown actions answer an
    /// empty response and change nothing.
    /// </summary>
    public AlarmApplyResult Apply(AlarmRequest request)
    {
        var response = new AlarmResponse();
        var entry = (request.Alarm, request.MemberID);
        switch (request.Action)
        {
            case AlarmAction.Get:
                response.Alarms.AddRange(Get(request.Alarm));
                return new AlarmApplyResult(this, response, AlarmTransition.None);
            case AlarmAction.Activate:
            {
                response.Alarms.Add(new AlarmMember { MemberID = request.MemberID, Alarm = request.Alarm });
                if (_alarms.Contains(entry)) return new AlarmApplyResult(this, response, AlarmTransition.None);
                var next = new AlarmTable(_alarms.Append(entry));
                // Raised means the first alarm of its type: later members raising it change nothing for writes.
                var raised = !IsActive(request.Alarm);
                return new AlarmApplyResult(next, response, raised ? AlarmTransition.Raised : AlarmTransition.None);
            }
            case AlarmAction.Deactivate:
            {
                if (!_alarms.Contains(entry)) return new AlarmApplyResult(this, response, AlarmTransition.None);
                response.Alarms.Add(new AlarmMember { MemberID = request.MemberID, Alarm = request.Alarm });
                var next = new AlarmTable(_alarms.Where(a => a != entry));
                var cleared = !next.IsActive(request.Alarm);
                return new AlarmApplyResult(next, response, cleared ? AlarmTransition.Cleared : AlarmTransition.None);
            }
            default:
                return new AlarmApplyResult(this, response, AlarmTransition.None);
        }
    }

    /// <summary>
    /// The error a write entry gets while an alarm is raised, or null to apply it: CORRUPT refuses every KV and
    /// lease write with "corrupt cluster" (etcd's applierV3Corrupt); NOSPACE refuses puts, txns with a put in
    /// either branch, and lease grants with "database space exceeded" (applierV3Capped). Reads never reach the
    /// applier in 3.4 (they are served from the store directly), so they keep working, as in etcd.
    /// </summary>
    public EtcdError? RefuseWrite(InternalRaftRequest request)
    {
        if (_alarms.Count == 0) return null;
        if (IsActive(AlarmType.Corrupt))
        {
            switch (request.RequestCase)
            {
                case RequestCase.Put or RequestCase.DeleteRange or RequestCase.Txn or RequestCase.Compaction
                    or RequestCase.LeaseGrant or RequestCase.LeaseRevoke:
                    return EtcdErrors.Corrupt;
            }
        }
        if (IsActive(AlarmType.Nospace))
        {
            switch (request.RequestCase)
            {
                case RequestCase.Put or RequestCase.LeaseGrant:
                    return EtcdErrors.NoSpace;
                case RequestCase.Txn when HasPut(request.Txn):
                    return EtcdErrors.NoSpace;
            }
        }
        return null;
    }

    // etcd's quota costTxn: the puts directly in either branch (nested txns are not counted).
    private static bool HasPut(TxnRequest txn) =>
        txn.Success.Any(o => o.RequestCase == RequestOp.RequestOneofCase.RequestPut)
        || txn.Failure.Any(o => o.RequestCase == RequestOp.RequestOneofCase.RequestPut);
}
