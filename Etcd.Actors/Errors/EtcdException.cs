namespace Etcd.Actors.Errors;

/// <summary>A request failed with one of etcd's errors; the gRPC layer maps it to an RpcException.</summary>
public sealed class EtcdException(EtcdError error) : Exception(error.Message)
{
    public EtcdError Error { get; } = error;
}
