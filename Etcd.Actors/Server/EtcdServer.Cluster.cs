using Akka.Actor;
using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Server;

/// <summary>etcd's Cluster service on the facade: membership changes through Raft, and the member list.</summary>
public sealed partial class EtcdServer
{
    public async Task<MemberAddResponse> MemberAddAsync(MemberAddRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfLearner();
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        // Checked here too so a bad URL costs no round trip; the leader checks again against its table.
        if (Etcd.Actors.Cluster.Core.MemberUrls.Normalize(request.PeerURLs) is null) throw EtcdErrors.MemberBadUrls.ToException();
        return (MemberAddResponse)await ChangeMembershipAsync(new MembershipChange { Add = request }, ct).ConfigureAwait(false);
    }

    /// <summary>Membership changes are root's while auth is enabled (etcd's checkMembershipOperationPermission).</summary>
    public async Task<MemberRemoveResponse> MemberRemoveAsync(MemberRemoveRequest request, CancellationToken ct = default, string? token = null)
    {
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        return (MemberRemoveResponse)await ChangeMembershipAsync(new MembershipChange { Remove = request }, ct).ConfigureAwait(false);
    }

    public async Task<MemberUpdateResponse> MemberUpdateAsync(MemberUpdateRequest request, CancellationToken ct = default, string? token = null)
    {
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        return (MemberUpdateResponse)await ChangeMembershipAsync(new MembershipChange { Update = request }, ct).ConfigureAwait(false);
    }

    public async Task<MemberPromoteResponse> MemberPromoteAsync(MemberPromoteRequest request, CancellationToken ct = default, string? token = null)
    {
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        return (MemberPromoteResponse)await ChangeMembershipAsync(new MembershipChange { Promote = request }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A client's Cluster.MemberList: while auth is enabled any user, but a user (etcd 3.4.42's fix for CVE-2026-33413
    /// made it root only; 3.4.43, etcd-io/etcd commit 084077d, lets any user list, so clients can find moved members).
    /// </summary>
    public async Task<MemberListResponse> MemberListAsync(string? token, CancellationToken ct)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        await RequireAuthInfoAsync(token, ct).ConfigureAwait(false);
        return await MemberListAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Cluster.MemberList from this member's applied member table (etcd 3.4 answers locally too), for the member itself.
    /// Internal: a client's call goes through the checked overload; a public unchecked one would be too easy to bind.
    /// </summary>
    internal async Task<MemberListResponse> MemberListAsync(CancellationToken ct = default)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        var tcs = new TaskCompletionSource<MemberListing>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new MvccProtocol.ListMembers(tcs));
        return ApiResponses.MemberList(await WithTimeout(tcs.Task, ct).ConfigureAwait(false));
    }

    private async Task<IMessage> ChangeMembershipAsync(MembershipChange change, CancellationToken ct)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        var id = _ids.Next();
        var waiter = _waits.Register(id) ?? throw EtcdErrors.TooManyRequests.ToException();
        change.From = MemberId;
        change.Waiter = id;
        if (_refs.Raft is not { } raft)
        {
            _waits.Forget(id);
            throw EtcdErrors.NoLeader.ToException();
        }
        raft.Tell(new RaftProtocol.ChangeMembership(change));
        try
        {
            return await WithTimeout(waiter.Task, ct).ConfigureAwait(false);
        }
        catch
        {
            _waits.Forget(id);
            throw;
        }
    }
}
