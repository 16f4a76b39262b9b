using Akka.Actor;
using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Server;

/// <summary>
/// The door from the gRPC edge into the actor world (etcd's EtcdServer v3 methods). Each call validates,
/// then enters with one Tell of a command carrying a TaskCompletionSource — no Ask on the hot path
/// (reference/akka-notes.md §5b). Errors surface as <see cref="EtcdException"/> with etcd's strings.
/// </summary>
public sealed class EtcdServer
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
    public ulong MemberId { get; }
    public ulong ClusterId { get; }

    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken ct = default)
    {
        Check(RequestValidator.ValidateRange(request));
        return (RangeResponse)await ReadAsync(request, request.Serializable, ct).ConfigureAwait(false);
    }

    public async Task<PutResponse> PutAsync(PutRequest request, CancellationToken ct = default)
    {
        Check(RequestValidator.ValidatePut(request));
        return (PutResponse)await ProposeAsync(new InternalRaftRequest { Put = request }, ct).ConfigureAwait(false);
    }

    public async Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken ct = default)
    {
        Check(RequestValidator.ValidateDeleteRange(request));
        return (DeleteRangeResponse)await ProposeAsync(new InternalRaftRequest { DeleteRange = request }, ct).ConfigureAwait(false);
    }

    public async Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken ct = default)
    {
        Check(RequestValidator.ValidateTxn(request, Settings.MaxTxnOps));
        // A txn that only reads is served like a Range (etcd: linearizable unless every range is serializable).
        if (RequestValidator.IsReadOnly(request))
            return (TxnResponse)await ReadAsync(request, RequestValidator.IsSerializable(request), ct).ConfigureAwait(false);
        return (TxnResponse)await ProposeAsync(new InternalRaftRequest { Txn = request }, ct).ConfigureAwait(false);
    }

    public async Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken ct = default)
    {
        Check(RequestValidator.ValidateCompaction(request));
        return (CompactionResponse)await ProposeAsync(new InternalRaftRequest { Compaction = request }, ct).ConfigureAwait(false);
    }

    public async Task<StatusResponse> StatusAsync(CancellationToken ct = default)
    {
        ThrowIfStopped();
        var tcs = new TaskCompletionSource<StatusResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Raft().Tell(new RaftProtocol.GetStatus(tcs));
        return await WithTimeout(tcs.Task, ct).ConfigureAwait(false);
    }

    /// <summary>Fails every outstanding waiter with "server stopped"; later calls fail the same way.</summary>
    internal void MarkStopped()
    {
        _stopped = true;
        _waits.FailAll(EtcdErrors.Stopped);
    }

    private async Task<IMessage> ProposeAsync(InternalRaftRequest request, CancellationToken ct)
    {
        ThrowIfStopped();
        var id = _ids.Next();
        request.ID = id;
        var data = request.ToByteString();
        if (data.Length > Settings.MaxRequestBytes) throw EtcdErrors.RequestTooLarge.ToException();
        var waiter = _waits.Register(id) ?? throw EtcdErrors.TooManyRequests.ToException();
        // Checked after Register: a MarkStopped that ran just before it would not have failed this waiter.
        var raft = _refs.Raft;
        var refused = _stopped ? EtcdErrors.Stopped : raft is null ? EtcdErrors.NoLeader : null;
        if (refused is not null)
        {
            _waits.Forget(id);
            throw refused.ToException();
        }
        raft!.Tell(new RaftProtocol.Propose(id, data));
        try
        {
            return await WithTimeout(waiter.Task, ct).ConfigureAwait(false);
        }
        catch
        {
            _waits.Forget(id); // timed out or cancelled: nobody waits any more (a no-op if it completed)
            throw;
        }
    }

    private async Task<IMessage> ReadAsync(IMessage request, bool serializable, CancellationToken ct)
    {
        ThrowIfStopped();
        var tcs = new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = new MvccProtocol.ReadCommand(request, tcs);
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

    private async Task<T> WithTimeout<T>(Task<T> task, CancellationToken ct)
    {
        try
        {
            return await task.WaitAsync(Settings.RequestTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw EtcdErrors.Timeout.ToException();
        }
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
