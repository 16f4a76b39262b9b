using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using RequestCase = Etcd.Api.Etcdserverpb.InternalRaftRequest.RequestOneofCase;

namespace Etcd.Actors.Apply;

/// <summary>The outcome of applying one entry: the response for the waiter, or one of etcd's errors.</summary>
public readonly record struct ApplyResult(IMessage? Response, EtcdError? Error)
{
    public bool IsOk => Error is null;
}

/// <summary>
/// Applies one committed <see cref="InternalRaftRequest"/> to the <see cref="KvStore"/> (etcd's
/// applierV3backend.Apply) and stamps the response header the way etcd's server does: cluster and member
/// id, the Raft term, and the store revision after the request. Deterministic: every member applying the
/// same entry reaches the same state; only the header's member id differs.
/// Later links of etcd's apply chain (auth, quota, lease, alarm) slot in front of or around this class.
/// </summary>
public sealed partial class Applier(KvStore store, ulong clusterId, ulong memberId)
{
    /// <summary>An applier with leases: <paramref name="leases"/> is the table <paramref name="store"/>'s lease seam works on.</summary>
    public Applier(KvStore store, LeaseTable leases, ulong clusterId, ulong memberId) : this(store, clusterId, memberId) =>
        Leases = leases;

    public KvStore Store => store;

    /// <summary>The applied lease table; null when this applier runs without leases (lease requests: "lease not found").</summary>
    public LeaseTable? Leases { get; }

    /// <param name="index">The entry's Raft index (a simple token carries the index of its Authenticate entry).</param>
    public ApplyResult Apply(InternalRaftRequest request, ulong term, ulong index = 0)
    {
        // etcd's authApplierV3: checked in log order against the auth state every member holds at this entry.
        if (CheckAuth(request) is { } denied) return new ApplyResult(null, denied);
        if (IsAuthRequest(request.RequestCase)) return ApplyAuth(request, term, index);
        switch (request.RequestCase)
        {
            case RequestCase.Put:
                return Answer(store.Put(request.Put), term, static (r, h) => r.Header = h);
            case RequestCase.DeleteRange:
                return Answer(store.DeleteRange(request.DeleteRange), term, static (r, h) => r.Header = h);
            case RequestCase.Txn:
                return Answer(store.Txn(request.Txn), term, static (r, h) => r.Header = h);
            case RequestCase.Compaction:
                return Answer(store.Compact(request.Compaction.Revision), term, static (r, h) => r.Header = h);
            case RequestCase.LeaseGrant:
                return Grant(request.LeaseGrant, term);
            case RequestCase.LeaseRevoke:
                return Revoke(request.LeaseRevoke, term);
            case RequestCase.LeaseCheckpoint:
                return Checkpoint(request.LeaseCheckpoint, term);
            case RequestCase.Alarm:
                // No alarms are raised yet: an alarm GET/ACTIVATE/DEACTIVATE answers with an empty list.
                return new ApplyResult(new AlarmResponse { Header = Header(term) }, null);
            default:
                // Anything newer: not implemented by this member yet.
                return new ApplyResult(null, EtcdErrors.NotCapable);
        }
    }

    /// <summary>
    /// Serves a read (RangeRequest or read-only TxnRequest) at the applied state. <paramref name="asker"/> is the user
    /// the client's token named and the auth revision it was resolved at (empty without one), checked as etcd checks
    /// reads while auth is enabled; null for a member's own reads (a barrier, a leadership probe), which are not a client's.
    /// </summary>
    public ApplyResult Read(IMessage request, ulong term, RequestHeader? asker = null)
    {
        if (CheckRead(request, asker) is { } denied) return new ApplyResult(null, denied);
        switch (request)
        {
            case RangeRequest range:
                return Answer(store.Range(range), term, static (r, h) => r.Header = h);
            case TxnRequest txn when KvStore.IsReadOnlyTxn(txn):
                return Answer(store.Txn(txn), term, static (r, h) => r.Header = h);
            default:
                throw new ArgumentException($"not a read: {request.Descriptor.FullName}", nameof(request));
        }
    }

    /// <summary>
    /// Begins a Range at the applied state (KvStore.BeginRange): its values are read in steps of at most
    /// <paramref name="stepRows"/>; answer it with <see cref="FinishRange"/> once the cursor is done.
    /// A user without read permission on the range gets etcd's error and nothing is read (as <see cref="Read"/>).
    /// </summary>
    public KvResult<RangeCursor> BeginRange(RangeRequest request, int stepRows, RequestHeader? asker = null)
    {
        if (CheckRead(request, asker) is { } denied) return denied;
        return store.BeginRange(request, stepRows);
    }

    /// <summary>A Range that one step answers, read now (KvStore.RangeInOneStep); null, with nothing read, when it would take more.</summary>
    public KvResult<RangeCursor>? RangeInOneStep(RangeRequest request, int stepRows, RequestHeader? asker = null)
    {
        if (CheckRead(request, asker) is { } denied) return denied;
        return store.RangeInOneStep(request, stepRows);
    }

    /// <summary>
    /// A finished range's response, its header at the revision the range read began at (as etcd reports it); for a
    /// client whose token was resolved at an auth revision that is no longer the store's (auth changed between the
    /// steps), "revision of auth store is old", as etcd's doSerialize checks after its read.
    /// </summary>
    public ApplyResult FinishRange(RangeCursor cursor, ulong term, RequestHeader? asker = null)
    {
        var response = cursor.Finish();
        if (asker is { AuthRevision: not 0 } && asker.AuthRevision != Auth.Revision) return new ApplyResult(null, EtcdErrors.AuthOldRevision);
        response.Header = Header(term, cursor.HeaderRevision);
        return new ApplyResult(response, null);
    }

    /// <summary>The store's response with the header stamped on it (the revision after the request), or its error.</summary>
    private ApplyResult Answer<T>(KvResult<T> result, ulong term, Action<T, ResponseHeader> setHeader) where T : class, IMessage
    {
        if (!result.IsOk) return new ApplyResult(null, result.Error);
        setHeader(result.Value!, Header(term));
        return new ApplyResult(result.Value, null);
    }

    /// <summary>A header at the store's current revision (the revision after the request).</summary>
    public ResponseHeader Header(ulong term) => Header(term, store.CurrentRevision);

    /// <summary>A header at a given revision: a stepped range reports the revision its read began at.</summary>
    public ResponseHeader Header(ulong term, long revision) => new()
    {
        ClusterId = clusterId,
        MemberId = memberId,
        Revision = revision,
        RaftTerm = term,
    };
}
