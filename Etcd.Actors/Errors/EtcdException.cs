using Grpc.Core;

namespace Etcd.Actors.Errors;

/// <summary>
/// A request failed with one of etcd's errors. It is an <see cref="RpcException"/> carrying etcd's code and
/// exact message as the status, so the gRPC edge returns it as is: no interceptor wraps every call to
/// translate (one cost 8-9 % of a leader's CPU under load).
/// </summary>
public sealed class EtcdException(EtcdError error) : RpcException(new Status(error.Code, error.Message), error.Message)
{
    public EtcdError Error { get; } = error;
}
