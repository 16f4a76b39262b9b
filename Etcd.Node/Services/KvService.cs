using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>etcdserverpb.KV: each call goes straight to <see cref="EtcdServer"/>; errors are <see cref="Etcd.Actors.Errors.EtcdException"/>s, which are RpcExceptions with etcd's status.</summary>
public sealed class KvService(EtcdServer server) : KV.KVBase
{
    public override Task<RangeResponse> Range(RangeRequest request, ServerCallContext context) =>
        server.RangeAsync(request, context.CancellationToken);

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
        server.PutAsync(request, context.CancellationToken);

    public override Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context) =>
        server.DeleteRangeAsync(request, context.CancellationToken);

    public override Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context) =>
        server.TxnAsync(request, context.CancellationToken);

    public override Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context) =>
        server.CompactAsync(request, context.CancellationToken);
}
