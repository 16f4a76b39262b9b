using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>The Lease service's door (etcd's EtcdServer LeaseGrant/LeaseRevoke/LeaseRenew/LeaseTimeToLive/LeaseLeases).</summary>
public sealed partial class EtcdServer
{
    /// <summary>
    /// Grant goes through Raft. Id 0 asks for a generated one, chosen here before proposing (as etcd does, so every
    /// member applies the same id): a request id with the sign bit cleared, never 0. Other ids, negative ones
    /// included, are taken as given (etcd 3.4 does too).
    /// </summary>
    /// <param name="token">The client's auth token: while auth is enabled a user is required ("user name is empty"
    /// without a token, "invalid auth token" for a bad one), as etcd 3.4.42's requireAuthInfo (the fix for
    /// CVE-2026-33413); no permission is checked (etcd's authApplierV3 has no LeaseGrant check).</param>
    public async Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfLearner();
        var header = await RequireAuthInfoAsync(token, ct).ConfigureAwait(false) ?? AnonymousHeader;
        var grant = request.Clone();
        while (grant.ID == 0) grant.ID = (long)(_ids.Next() & long.MaxValue);
        // etcd's minimum TTL, raised here and not at apply, so that every member applies the TTL this one chose (a
        // member with longer election timeouts would otherwise grant a longer lease). Negative TTLs are raised too, as
        // etcd raises them; a TTL above the maximum is left for the apply to refuse.
        if (grant.TTL < Settings.MinLeaseTtl) grant.TTL = Settings.MinLeaseTtl;
        return (LeaseGrantResponse)await ProposeAsync(new InternalRaftRequest { Header = header, LeaseGrant = grant }, ct).ConfigureAwait(false);
    }

    /// <summary>Revoke goes through Raft: every member deletes the lease's keys in one revision.</summary>
    /// <param name="token">The client's auth token: a user is required at the edge (etcd 3.4.42's requireAuthInfo), and
    /// at apply it must be allowed to write every key attached to the lease.</param>
    public async Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfLearner();
        var header = await RequireAuthInfoAsync(token, ct).ConfigureAwait(false) ?? AnonymousHeader;
        return (LeaseRevokeResponse)await ProposeAsync(new InternalRaftRequest { Header = header, LeaseRevoke = request }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One keep-alive: the TTL the lease has again, 0 when it does not exist (etcd's v3rpc answers a renewal of an
    /// unknown lease with TTL 0, and etcdctl says "expired or revoked"). Renewed by the leader; a follower forwards.
    /// </summary>
    /// <param name="token">The stream's auth token: while auth is enabled the caller must be root or may write every key
    /// attached to the lease (etcd 3.4.42's checkLeaseRenew, the fix for CVE-2026-33413).</param>
    public async Task<LeaseKeepAliveResponse> LeaseKeepAliveAsync(long id, CancellationToken ct = default, string? token = null)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        await CheckLeaseRenewAsync(id, token, ct).ConfigureAwait(false);
        var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Lease.Tell(new LeaseProtocol.KeepAlive(id, tcs));
        var ttl = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        return new LeaseKeepAliveResponse { Header = LeaseHeader(0), ID = id, TTL = ttl };
    }

    /// <summary>
    /// TTL and granted TTL as the leader's lessor has them (etcd asks the leader), the keys from this member's applied
    /// table. An unknown lease answers TTL -1, granted 0 and no keys, not an error (etcd's v3rpc does the same).
    /// </summary>
    /// <param name="token">While auth is enabled a user is required ("user name is empty" without a token, "invalid auth
    /// token" for a bad one: etcd 3.4.42's requireAuthInfo, the fix for CVE-2026-33413). When the keys are asked for, a
    /// user other than root needs READ on every key attached, else "permission denied" (etcd 3.4.26's
    /// checkLeaseTimeToLive, the fix for CVE-2023-32082, etcd-io/etcd#15656; the keys checked are the ones answered, at
    /// the auth revision the token was resolved at), and an auth change while the answer is made is "revision of auth
    /// store is old".</param>
    public async Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        var gate = _refs.Auth;
        var asker = await RequireAuthInfoAsync(token, ct).ConfigureAwait(false);
        // etcd's checkLeaseTimeToLive reads the store's auth revision before its checks and compares it after the answer
        // (the token's own revision is checked by each key's permission check, as isOpPermitted does: older is refused).
        var authRevision = gate.Revision;
        var checkKeys = request.Keys && asker is not null && gate.IsAdminPermitted(asker.Username) is not null;
        var ttlTcs = new TaskCompletionSource<LeaseTimeToLive?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Lease.Tell(new LeaseProtocol.TimeToLive(request.ID, ttlTcs));
        var viewTcs = new TaskCompletionSource<MvccLeaseProtocol.LeaseView?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new MvccLeaseProtocol.GetLease(request.ID, viewTcs));
        var ttl = await WithTimeout(ttlTcs.Task, ct).ConfigureAwait(false);
        var view = await WithTimeout(viewTcs.Task, ct).ConfigureAwait(false);
        var header = LeaseHeader(view?.Revision ?? 0);
        if (ttl is not { } t) return new LeaseTimeToLiveResponse { Header = header, ID = request.ID, TTL = -1 };
        var response = new LeaseTimeToLiveResponse { Header = header, ID = request.ID, TTL = t.Remaining, GrantedTTL = t.GrantedTtl };
        if (request.Keys && view?.Lease is not null)
        {
            if (checkKeys) Check(gate.IsEachKeyPermitted(asker!.Username, asker.AuthRevision, view.Keys, write: false));
            response.Keys.AddRange(view.Keys);
        }
        if (request.Keys && asker is not null && gate.Enabled && gate.Revision != authRevision)
            throw EtcdErrors.AuthOldRevision.ToException();
        return response;
    }

    /// <summary>
    /// Every lease this member's lessor knows (etcd 3.4 answers locally), under a header with the store's revision as
    /// etcd's (it fills every LeaseLeases header with the current revision; this one used to say 0).
    /// </summary>
    /// <param name="token">While auth is enabled the caller must be root or may read every key attached to any lease
    /// (etcd 3.4.42's checkLeaseLeases, the fix for CVE-2026-33413).</param>
    public async Task<LeaseLeasesResponse> LeaseLeasesAsync(CancellationToken ct = default, string? token = null)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        await CheckLeaseLeasesAsync(token, ct).ConfigureAwait(false);
        var tcs = new TaskCompletionSource<IReadOnlyList<long>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Lease.Tell(new LeaseProtocol.List(tcs));
        var viewTcs = new TaskCompletionSource<MvccLeaseProtocol.LeaseView?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new MvccLeaseProtocol.GetLease(0, viewTcs)); // lease 0 never exists: only the revision is read
        var ids = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        var view = await WithTimeout(viewTcs.Task, ct).ConfigureAwait(false);
        var response = new LeaseLeasesResponse { Header = LeaseHeader(view?.Revision ?? 0) };
        foreach (var id in ids) response.Leases.Add(new LeaseStatus { ID = id });
        return response;
    }

    private ResponseHeader LeaseHeader(long revision) =>
        new() { ClusterId = ClusterId, MemberId = MemberId, RaftTerm = _refs.Status.Term, Revision = revision };
}
