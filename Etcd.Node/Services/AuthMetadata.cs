using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>Where a client's auth token travels: gRPC metadata <c>token</c> (etcd's rpctypes.TokenFieldNameGRPC).</summary>
public static class AuthMetadata
{
    public const string TokenKey = "token";

    /// <summary>The call's token, or null without one.</summary>
    public static string? Token(ServerCallContext context) => context.RequestHeaders.GetValue(TokenKey);
}
