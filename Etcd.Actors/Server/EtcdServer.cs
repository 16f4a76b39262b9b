using Akka.Actor;
using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Server;

/// <summary>
/// The door from the gRPC edge into the actor world (etcd's EtcdServer v3 methods). Each call validates,
/// then enters with one Tell of a command carrying a TaskCompletionSource — no Ask on the hot path (an
/// Ask makes a temporary actor per call). Errors surface as <see cref="EtcdException"/> with etcd's strings.
/// </summary>
public sealed partial class EtcdServer
{
    private readonly NodeRefs _refs;
    private readonly WaitRegistry _waits;
    private readonly RequestIdGenerator _ids;
    private volatile bool _stopped;

    internal EtcdServer(EtcdServerSettings settings, ulong memberId, ulong clusterId, NodeRefs refs,
        WaitRegistry waits, RequestIdGenerator ids)
    {
        Settings = settings;
        MemberId = memberId;
        ClusterId = clusterId;
        _refs = refs;
        _waits = waits;
        _ids = ids;
    }

    public EtcdServerSettings Settings { get; }

    /// <summary>The refs the edge talks to (specs put a counting stand-in between the edge and an actor).</summary>
    internal NodeRefs Refs => _refs;
    public ulong MemberId { get; }
    public ulong ClusterId { get; }

    /// <param name="token">The client's auth token (gRPC metadata <c>token</c>), if any: its user's permissions are
    /// checked when the read is served, at the applied state, with the auth revision the token was resolved at
    /// (EtcdServer.Auth.cs, Applier.Auth.cs).</param>
    /// <param name="encodeKvs">Only for a caller that writes the response with Etcd.Node's Range marshaller (gRPC's
    /// KV.Range): a large range's key-values may come back as bytes beside the response (EncodedRanges), not in its Kvs.</param>
    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken ct = default, string? token = null, bool encodeKvs = false)
    {
        // Learners keep up with the log but are not part of any quorum: they serve serializable reads only.
        if (!request.Serializable) ThrowIfLearner();
        Check(RequestValidator.ValidateRange(request));
        var asker = await ClientHeaderAsync(token, ct).ConfigureAwait(false);
        return await ServeRangeAsync(request, asker, ct, encodeKvs).ConfigureAwait(false);
    }

    /// <summary>Range's second half, for a caller whose token is already resolved (<see cref="AuthInfoAsync"/>).</summary>
    internal async Task<RangeResponse> ServeRangeAsync(RangeRequest request, RequestHeader asker, CancellationToken ct, bool encodeKvs = false) =>
        (RangeResponse)await ReadAsync(request, request.Serializable, ct, asker, encodeKvs).ConfigureAwait(false);

    /// <param name="token">The client's auth token, if any: its user and auth revision go in the entry's header and
    /// are checked when the entry is applied (Applier.Auth.cs).</param>
    /// <remarks>Not async itself: with the header at hand (no token, or auth disabled) the call is the proposal's own
    /// task, one state machine per put instead of two. Its refusals still come as a faulted task, as from an async method.</remarks>
    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken ct = default, string? token = null)
    {
        try
        {
            ThrowIfLearner();
            Check(RequestValidator.ValidatePut(request));
            var header = ClientHeaderAsync(token, ct);
            return header.IsCompletedSuccessfully
                ? ProposeAsync<PutResponse>(new InternalRaftRequest { Header = header.Result, Put = request }, ct)
                : PutAfterAuthAsync(request, header, ct);
        }
        catch (Exception e)
        {
            // Whatever the checks throw arrives as a faulted task, exactly as from an async method.
            return Task.FromException<PutResponse>(e);
        }
    }

    private async Task<PutResponse> PutAfterAuthAsync(PutRequest request, ValueTask<RequestHeader> header, CancellationToken ct) =>
        await ProposeAsync<PutResponse>(new InternalRaftRequest { Header = await header.ConfigureAwait(false), Put = request }, ct)
            .ConfigureAwait(false);

    /// <remarks>Not async itself, as <see cref="PutAsync"/>: with the header at hand the call is the proposal's own task.</remarks>
    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken ct = default, string? token = null)
    {
        try
        {
            ThrowIfLearner();
            Check(RequestValidator.ValidateDeleteRange(request));
            var header = ClientHeaderAsync(token, ct);
            return header.IsCompletedSuccessfully
                ? ProposeAsync<DeleteRangeResponse>(new InternalRaftRequest { Header = header.Result, DeleteRange = request }, ct)
                : DeleteRangeAfterAuthAsync(request, header, ct);
        }
        catch (Exception e)
        {
            return Task.FromException<DeleteRangeResponse>(e);
        }
    }

    private async Task<DeleteRangeResponse> DeleteRangeAfterAuthAsync(DeleteRangeRequest request, ValueTask<RequestHeader> header, CancellationToken ct) =>
        await ProposeAsync<DeleteRangeResponse>(new InternalRaftRequest { Header = await header.ConfigureAwait(false), DeleteRange = request }, ct)
            .ConfigureAwait(false);

    /// <remarks>Not async itself for a txn that writes, as <see cref="PutAsync"/>: with the header at hand the call is the
    /// proposal's own task.</remarks>
    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken ct = default, string? token = null)
    {
        try
        {
            // etcd 3.4 lets a learner serve Status and serializable Range only, not even a serializable read txn.
            ThrowIfLearner();
            Check(RequestValidator.ValidateTxn(request, Settings.MaxTxnOps));
            var header = ClientHeaderAsync(token, ct);
            return header.IsCompletedSuccessfully && !RequestValidator.IsReadOnly(request)
                ? ProposeAsync<TxnResponse>(new InternalRaftRequest { Header = header.Result, Txn = request }, ct)
                : TxnAfterAuthAsync(request, header, ct);
        }
        catch (Exception e)
        {
            return Task.FromException<TxnResponse>(e);
        }
    }

    private async Task<TxnResponse> TxnAfterAuthAsync(TxnRequest request, ValueTask<RequestHeader> pending, CancellationToken ct)
    {
        var header = await pending.ConfigureAwait(false);
        // A txn that only reads is served like a Range (etcd: linearizable unless every range is serializable).
        if (RequestValidator.IsReadOnly(request))
            return (TxnResponse)await ReadAsync(request, RequestValidator.IsSerializable(request), ct, header).ConfigureAwait(false);
        return await ProposeAsync<TxnResponse>(new InternalRaftRequest { Header = header, Txn = request }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A client's Compact: root only while auth is enabled, checked here before proposing, as etcd 3.4.42's kvServer
    /// (the fix for CVE-2026-33413; etcd 3.4.23 let any caller, even anonymous, compact). With <c>physical</c> the
    /// answer waits, as etcd's, until this member's store has deleted the compacted rows: bounded by the caller's
    /// deadline, not the request timeout, since a compaction of millions of revisions runs in paced batches for longer.
    /// </summary>
    public async Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfLearner();
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        Check(RequestValidator.ValidateCompaction(request));
        var header = await ClientHeaderAsync(token, ct).ConfigureAwait(false);
        var response = (CompactionResponse)await ProposeAsync(new InternalRaftRequest { Header = header, Compaction = request }, ct).ConfigureAwait(false);
        if (request.Physical)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _refs.Mvcc.Tell(new CompactionProtocol.NotifyCompacted(done));
            await done.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        return response;
    }

    /// <summary>The member's own compaction (the compactor, as etcd's calls EtcdServer.Compact): no caller to check.</summary>
    internal async Task<CompactionResponse> CompactForMemberAsync(CompactionRequest request, CancellationToken ct)
    {
        Check(RequestValidator.ValidateCompaction(request));
        return (CompactionResponse)await ProposeAsync(new InternalRaftRequest { Header = AnonymousHeader, Compaction = request }, ct).ConfigureAwait(false);
    }

    public async Task<StatusResponse> StatusAsync(CancellationToken ct = default)
    {
        ThrowIfStopped();
        var tcs = new TaskCompletionSource<StatusReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        Raft().Tell(new RaftProtocol.GetStatus(tcs));
        return ApiResponses.Status(await WithTimeout(tcs.Task, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Maintenance.MoveLeader: root only while auth is enabled (etcd 3.4.42, the fix for CVE-2026-33413), checked before
    /// anything else; then only the leader can hand leadership on ("etcdserver: not leader" elsewhere).
    /// </summary>
    public async Task<MoveLeaderResponse> MoveLeaderAsync(MoveLeaderRequest request, CancellationToken ct = default, string? token = null)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        await CheckAdminAsync(token, ct).ConfigureAwait(false);
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Raft().Tell(new RaftProtocol.TransferLeadership(request.TargetID, tcs));
        await WithTimeout(tcs.Task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), ct,
            EtcdErrors.TimeoutLeaderTransfer).ConfigureAwait(false);
        return new MoveLeaderResponse { Header = new ResponseHeader { ClusterId = ClusterId, MemberId = MemberId, RaftTerm = _refs.Status.Term } };
    }

    /// <summary>
    /// Maintenance.HashKV: this member's hash of the key revisions up to <paramref name="request"/>'s revision
    /// (0 = current), computed as etcd 3.4 computes it, so members at the same history agree and agree with
    /// etcd. Served locally from the applied state, as etcd does; not on learners (3.4's interceptor).
    /// </summary>
    public Task<HashKVResponse> HashKvAsync(HashKVRequest request, CancellationToken ct = default)
    {
        ThrowIfLearner();
        return LocalHashKvAsync(request.Revision, ct);
    }

    /// <summary>This member's HashKV at <paramref name="revision"/>, learner or not (the corruption monitor's own hash).</summary>
    internal async Task<HashKVResponse> LocalHashKvAsync(long revision, CancellationToken ct)
    {
        ThrowIfStopped();
        var tcs = new TaskCompletionSource<HashReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new IntegrityProtocol.GetHashKv(revision, tcs));
        var report = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        return ApiResponses.HashKv(report with { Header = report.Header with { RaftTerm = _refs.Status.Term } });
    }

    /// <summary>Maintenance.Hash: the hash of this member's whole backend (SqliteBackend.HashAll says what it covers).</summary>
    public async Task<HashResponse> HashAsync(CancellationToken ct = default)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        var tcs = new TaskCompletionSource<HashReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        _refs.Mvcc.Tell(new IntegrityProtocol.GetHash(tcs));
        var report = await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        return ApiResponses.Hash(report with { Header = report.Header with { RaftTerm = _refs.Status.Term } });
    }

    /// <summary>
    /// Maintenance.Alarm: GET, ACTIVATE and DEACTIVATE all go through Raft and are applied on every member, as
    /// in etcd 3.4 (v3_server.go Alarm: raftRequestOnce); `etcdctl alarm disarm` lists, then deactivates each.
    /// </summary>
    /// <param name="token">While auth is enabled GET needs a user and ACTIVATE/DEACTIVATE root (etcd 3.4.42's fix for
    /// CVE-2026-33413 and 3.4.43's etcd-io/etcd commit 084077d, which let any user GET).</param>
    public async Task<AlarmResponse> AlarmAsync(AlarmRequest request, CancellationToken ct, string? token)
    {
        ThrowIfLearner();
        if (request.Action == AlarmRequest.Types.AlarmAction.Get) await RequireAuthInfoAsync(token, ct).ConfigureAwait(false);
        else await CheckAdminAsync(token, ct).ConfigureAwait(false);
        return await AlarmAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An alarm request of the member itself (the corruption monitor raising CORRUPT): no caller to check. Internal, as
    /// <see cref="MemberListAsync(CancellationToken)"/>.
    /// </summary>
    internal async Task<AlarmResponse> AlarmAsync(AlarmRequest request, CancellationToken ct = default)
    {
        ThrowIfLearner();
        return (AlarmResponse)await ProposeAsync(new InternalRaftRequest { Alarm = request }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns once this member has applied everything committed when it was called (etcd's
    /// linearizableReadNotify): a linearizable read whose answer is thrown away.
    /// </summary>
    internal Task LinearizableBarrierAsync(CancellationToken ct) =>
        ReadAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("\0"), CountOnly = true }, serializable: false, ct);

    /// <summary>
    /// etcd's publish: propose this member's name and client URLs once it has a leader, so MemberList shows
    /// them. Retried while the cluster is unavailable (a leader election, a busy leader), until it is applied.
    /// </summary>
    public async Task PublishAsync(CancellationToken ct = default)
    {
        var attrs = new ClusterMemberAttrSetRequest { MemberID = MemberId, Name = Settings.Name };
        attrs.ClientUrls.AddRange(Settings.AdvertiseClientUrls);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await ProposeAsync(new InternalRaftRequest { ClusterMemberAttrSet = attrs }, ct).ConfigureAwait(false);
                return;
            }
            catch (EtcdException e) when (e.Error.Code == EtcdErrorCode.Unavailable && e.Error != EtcdErrors.NotCapable && e.Error != EtcdErrors.Stopped
                                          || e.Error == EtcdErrors.TooManyRequests)
            {
                // Bounded by the caller's token (the node's stop signal); back off a little between tries.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * (attempt + 1))), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// On a graceful stop a leader hands leadership to its most up-to-date voter first (etcd does too), so the
    /// others do not wait an election timeout. Best effort, bounded by one election timeout.
    /// </summary>
    internal async Task TransferLeadershipOnStopAsync()
    {
        if (_stopped || _refs.Raft is not { } raft || _refs.Status.Leader != MemberId) return;
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        raft.Tell(new RaftProtocol.HandOffLeadership(tcs));
        try
        {
            await tcs.Task.WaitAsync(Settings.Raft.ElectionTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or EtcdException)
        {
            // Nobody to hand over to, or it took too long: the others elect a leader themselves.
        }
    }

    /// <summary>
    /// Later calls fail with "server stopped". Every outstanding waiter was handed to Raft and may be in a log
    /// already (ours, or the leader's it was forwarded to), where it can still be committed: telling its client
    /// that it failed would be a lie, so it gets etcd's ambiguous answer (RaftActor.Failure.cs explains the cases).
    /// </summary>
    internal void MarkStopped()
    {
        _stopped = true;
        _waits.FailAll(EtcdErrors.TimeoutDueToLeaderFail);
    }

    private Task<IMessage> ProposeAsync(InternalRaftRequest request, CancellationToken ct) => ProposeAsync<IMessage>(request, ct);

    /// <summary>
    /// Proposes <paramref name="request"/>; the task is its answer, of type <typeparamref name="T"/> (the applier answers
    /// each request kind with its response type). Not async: the task is the registry's waiter itself, which fails with
    /// "request timed out" through the registry's shared sweep and is cancelled with <paramref name="ct"/>
    /// (<see cref="WaitRegistry"/>), so a proposal costs no timer and no state machine of its own (docs/benchmarks.md
    /// "Waiting puts without a timer each"). Refusals before proposing are thrown here, synchronously.
    /// </summary>
    private Task<T> ProposeAsync<T>(InternalRaftRequest request, CancellationToken ct) where T : class, IMessage
    {
        ThrowIfStopped();
        var id = _ids.Next();
        request.ID = id;
        var data = request.ToByteString();
        if (data.Length > Settings.MaxRequestBytes) throw EtcdErrors.RequestTooLarge.ToException();
        var waiter = _waits.Register<T>(id, ct) ?? throw EtcdErrors.TooManyRequests.ToException();
        // Checked after Register: a MarkStopped that ran just before it would not have failed this waiter.
        var raft = _refs.Raft;
        var refused = _stopped ? EtcdErrors.Stopped : raft is null ? EtcdErrors.NoLeader : null;
        if (refused is not null)
        {
            _waits.Forget(id);
            throw refused.ToException();
        }
        // Cancelled already (Register ran its callback): nothing to propose, as an awaited WaitAsync would not have.
        if (waiter.Task.IsCanceled) return waiter.Task;
        raft!.Tell(new RaftProtocol.Propose(id, data));
        return waiter.Task;
    }

    /// <param name="asker">A client's user and the auth revision its token was resolved at (empty without a token),
    /// checked at the applied state (a revision that is no longer the store's is "revision of auth store is old", as
    /// etcd's doSerialize); null for a member's own read.</param>
    private async Task<IMessage> ReadAsync(IMessage request, bool serializable, CancellationToken ct, RequestHeader? asker = null, bool encodeKvs = false)
    {
        ThrowIfStopped();
        var tcs = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = new MvccProtocol.ReadCommand(request, tcs, asker, encodeKvs);
        if (serializable) _refs.Mvcc.Tell(new MvccProtocol.SerializableRead(read));
        else Raft().Tell(new RaftProtocol.LinearizableRead(read));
        try
        {
            return await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
        }
        finally
        {
            // On timeout or cancellation, mark the read done so a queued round skips it.
            tcs.TrySetCanceled(CancellationToken.None);
        }
    }

    private async Task<T> WithTimeout<T>(Task<T> task, CancellationToken ct, EtcdError? onTimeout = null)
    {
        try
        {
            return await task.WaitAsync(Settings.RequestTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw (onTimeout ?? EtcdErrors.Timeout).ToException();
        }
    }

    private void ThrowIfLearner()
    {
        if (_refs.Status.IsLearner) throw EtcdErrors.LearnerNotSupported.ToException();
    }

    private IActorRef Raft() => _refs.Raft ?? throw EtcdErrors.NoLeader.ToException();

    private void ThrowIfStopped()
    {
        if (_stopped) throw EtcdErrors.Stopped.ToException();
    }

    private static void Check(EtcdError? error)
    {
        if (error is not null) throw error.ToException();
    }
}
