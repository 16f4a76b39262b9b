using Grpc.Core;

namespace Etcd.Specs.Support;

/// <summary>
/// Tells a streaming call's end that the spec caused by canceling its own token from any other failure. grpc-dotnet
/// reports its own abort of the HTTP/2 request either as Cancelled or, when the abort wins the race with the read, as
/// Unavailable "Error reading next message. IOException: The request was aborted."
/// (https://github.com/grpc/grpc-dotnet/issues/1214); both mean the same thing here, and neither says anything of the
/// server.
/// </summary>
internal static class OwnCancel
{
    public static bool Caused(RpcException e, CancellationToken token) =>
        token.IsCancellationRequested &&
        (e.StatusCode == StatusCode.Cancelled || (e.StatusCode == StatusCode.Unavailable && e.InnerException is IOException));
}
