using Grpc.Core;

namespace Etcd.Actors.Errors;

/// <summary>
/// One entry of etcd's error catalogue: the gRPC status code and the exact message string.
/// Clients (etcdctl, clientv3, dotnet-etcd) match on the message, so it must be byte-for-byte etcd's.
/// </summary>
public sealed record EtcdError(StatusCode Code, string Message)
{
    public EtcdException ToException() => new(this);

    public override string ToString() => $"{Code}: {Message}";
}
