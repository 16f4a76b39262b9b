using Etcd.Actors.Errors;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// The one place where etcd's errors become gRPC status (etcd's <c>toGRPCErrorMap</c>, etcdserver/api/v3rpc/util.go):
/// each kind to etcd's status code, the message unchanged (clients match on it). The services catch
/// <see cref="EtcdException"/> around each call and throw what this returns; nothing else in the node translates.
/// </summary>
public static class GrpcErrors
{
    public static StatusCode StatusCodeOf(EtcdErrorCode code) => code switch
    {
        EtcdErrorCode.InvalidRequest => StatusCode.InvalidArgument,
        EtcdErrorCode.OutOfRange => StatusCode.OutOfRange,
        EtcdErrorCode.NotFound => StatusCode.NotFound,
        EtcdErrorCode.PreconditionFailed => StatusCode.FailedPrecondition,
        EtcdErrorCode.Exhausted => StatusCode.ResourceExhausted,
        EtcdErrorCode.Unavailable => StatusCode.Unavailable,
        EtcdErrorCode.Corrupt => StatusCode.DataLoss,
        EtcdErrorCode.Unclassified => StatusCode.Unknown,
        EtcdErrorCode.Forbidden => StatusCode.PermissionDenied,
        EtcdErrorCode.Unauthenticated => StatusCode.Unauthenticated,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "an error kind without a gRPC status"),
    };

    /// <summary>The gRPC error a client sees for <paramref name="error"/>: etcd's code and exact message.</summary>
    public static RpcException ToRpcException(EtcdError error) =>
        new(new Status(StatusCodeOf(error.Code), error.Message), error.Message);
}
