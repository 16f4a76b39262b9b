using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.KV: each call goes straight to <see cref="EtcdServer"/>; an <see cref="EtcdException"/> becomes
/// etcd's gRPC status through <see cref="GrpcErrors"/> (a catch per call, no interceptor). Its methods are those of
/// the generated KV.KVBase, bound by <see cref="KvMethodProvider"/> so that Range's and Txn's responses let go of their
/// values once written.
/// </summary>
public sealed class KvService(EtcdServer server)
{
    public async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        // encodeKvs: KvMethodBinder's Range marshaller writes a large range's key-values from their bytes.
        try { return await server.RangeAsync(request, context.CancellationToken, AuthMetadata.Token(context), encodeKvs: true).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        try { return await server.PutAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        try { return await server.DeleteRangeAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        try { return await server.TxnAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }

    public async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        try { return await server.CompactAsync(request, context.CancellationToken, AuthMetadata.Token(context)).ConfigureAwait(false); }
        catch (EtcdException e) { throw GrpcErrors.ToRpcException(e.Error); }
    }
}
