using Etcd.Actors.Errors;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Etcd.Node.Services;

/// <summary>
/// The one place where the library's <see cref="EtcdException"/> becomes a gRPC status: etcd's code and
/// its exact message as the status detail, which is what etcd clients compare (rpctypes/error.go).
/// Services therefore return the library's tasks directly, without try/catch of their own.
/// </summary>
public sealed class EtcdErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            throw ToRpc(e);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            throw ToRpc(e);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            throw ToRpc(e);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (EtcdException e)
        {
            throw ToRpc(e);
        }
    }

    public static RpcException ToRpc(EtcdException e) => new(new Status(e.Error.Code, e.Error.Message));
}
