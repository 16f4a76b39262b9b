using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Server;

/// <summary>
/// The checks the edge makes itself, before anything is proposed or answered, as etcd's v3rpc servers and EtcdServer
/// methods do: who may call what besides KV and Watch. Since etcd 3.4.42 (GHSA-q8m4-xhhv-38mg, CVE-2026-33413, fixed by
/// etcd-io/etcd commit 81fcc3f "guard unauthenticated endpoints with auth checks", relaxed in 3.4.43 by 084077d "allow
/// non-admin to fetch member list and alarms") no RPC but Authenticate answers an anonymous caller while auth is enabled.
/// Every check costs one volatile read while auth is disabled.
/// </summary>
public sealed partial class EtcdServer
{
    /// <summary>
    /// etcd 3.4.42's requireAuthInfo: while auth is enabled the caller must name a user: "user name is empty" without a
    /// token, "invalid auth token" for a bad one. No permission is checked. Null while auth is disabled.
    /// </summary>
    public async ValueTask<RequestHeader?> RequireAuthInfoAsync(string? token, CancellationToken ct)
    {
        if (!_refs.Auth.Enabled) return null;
        return await AuthInfoAsync(token, ct).ConfigureAwait(false) ?? throw EtcdErrors.UserEmpty.ToException();
    }

    /// <summary>
    /// etcd's IsAdminPermitted at the edge, with etcd's translated errors (membership changes; since 3.4.42 also Compact,
    /// Status, MoveLeader and Alarm ACTIVATE/DEACTIVATE): "user name is empty" without a token, "user name not found",
    /// "permission denied" for a user without the root role. Like etcd's, it checks no auth revision.
    /// </summary>
    public async ValueTask CheckAdminAsync(string? token, CancellationToken ct)
    {
        if (!_refs.Auth.Enabled) return;
        var info = await AuthInfoAsync(token, ct).ConfigureAwait(false);
        Check(_refs.Auth.IsAdminPermitted(info?.Username ?? ""));
    }

    /// <summary>
    /// etcd 3.4's authMaintenanceServer (Hash, HashKV, Defragment, Snapshot): the same check, but its errors reach the
    /// client untranslated, as auth/store.go's own strings with gRPC code Unknown (what etcdctl shows).
    /// </summary>
    public async ValueTask CheckMaintenanceAdminAsync(string? token, CancellationToken ct)
    {
        if (!_refs.Auth.Enabled) return;
        RequestHeader? info;
        try
        {
            info = await AuthInfoAsync(token, ct).ConfigureAwait(false);
        }
        catch (EtcdException e) when (e.Error == EtcdErrors.InvalidAuthToken)
        {
            throw EtcdErrors.AuthPackage(e.Error).ToException();
        }
        if (_refs.Auth.IsAdminPermitted(info?.Username ?? "") is { } denied) throw EtcdErrors.AuthPackage(denied).ToException();
    }

    /// <summary>
    /// etcd 3.4.42's checkLeaseRenew (a keep-alive): a user is required; root may renew any lease; anyone else needs
    /// WRITE on every key attached to it (the keys it could not revoke, it may not keep alive either). An auth change
    /// while checking is "revision of auth store is old". An unknown lease, or one without keys, passes (its renewal
    /// answers TTL 0, or needs no permission). The answer for a lease's keys is kept (AuthGate.Leases.cs): a renewal of
    /// a lease whose keys and auth state did not change since asks the store nothing, so renewals cost the apply
    /// thread nothing, and a key walk is one unsorted copy per change, not a sorted copy per renewal.
    /// </summary>
    private async ValueTask CheckLeaseRenewAsync(long id, string? token, CancellationToken ct)
    {
        var gate = _refs.Auth;
        var revision = gate.Revision;
        if (!gate.Enabled) return;
        var info = await AuthInfoAsync(token, ct).ConfigureAwait(false) ?? throw EtcdErrors.UserEmpty.ToException();
        if (gate.IsAdminPermitted(info.Username) is null) return;
        var version = gate.LeaseKeys.Of(id);
        EtcdError? refusal = null;
        if (version != 0 && !gate.TryRenewVerdict(id, info.Username, info.AuthRevision, version, out refusal))
        {
            var tcs = new TaskCompletionSource<MvccLeaseProtocol.LeaseKeySet>(TaskCreationOptions.RunContinuationsAsynchronously);
            _refs.Mvcc.Tell(new MvccLeaseProtocol.GetLeaseKeySet(id, tcs));
            var set = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
            refusal = gate.CheckRenew(id, info.Username, info.AuthRevision, set.Version, set.Keys);
        }
        Check(refusal);
        if (gate.Revision != revision) throw EtcdErrors.AuthOldRevision.ToException();
    }

    /// <summary>
    /// etcd 3.4.42's checkLeaseLeases (listing the leases): a user is required; root sees them all; anyone else needs READ
    /// on every key attached to any lease. An auth change while checking is "revision of auth store is old".
    /// </summary>
    private async ValueTask CheckLeaseLeasesAsync(string? token, CancellationToken ct)
    {
        var gate = _refs.Auth;
        var revision = gate.Revision;
        if (!gate.Enabled) return;
        var info = await AuthInfoAsync(token, ct).ConfigureAwait(false) ?? throw EtcdErrors.UserEmpty.ToException();
        if (gate.IsAdminPermitted(info.Username) is null) return;
        var tcs = new TaskCompletionSource<IReadOnlyList<ByteString>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new MvccLeaseProtocol.GetLeasedKeys(tcs));
        var keys = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        Check(gate.IsEachKeyPermitted(info.Username, info.AuthRevision, keys, write: false));
        if (gate.Revision != revision) throw EtcdErrors.AuthOldRevision.ToException();
    }
}
