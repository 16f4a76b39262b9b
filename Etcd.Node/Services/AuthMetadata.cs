using Etcd.Actors.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace Etcd.Node.Services;

/// <summary>
/// Who a call says it is: gRPC metadata <c>token</c> (etcd's rpctypes.TokenFieldNameGRPC), or without it
/// <c>authorization</c> (TokenFieldNameSwagger, what etcd's HTTP gateway passes on, read by etcd's AuthInfoFromCtx from
/// any gRPC client too), or, with neither and with <c>--client-cert-auth</c>, its verified client certificate's common
/// name (<see cref="ClientCommonName"/>), passed on as a <see cref="CertificateCredential"/>. A token wins over a
/// certificate, as in etcd's AuthInfoFromCtx. The value is the token as it is (etcd strips no "Bearer " prefix).
/// </summary>
public static class AuthMetadata
{
    public const string TokenKey = "token";

    /// <summary>etcd's rpctypes.TokenFieldNameSwagger: read when there is no <see cref="TokenKey"/> entry.</summary>
    public const string AuthorizationKey = "authorization";

    // What an empty token, or one that imitates a certificate credential, becomes: no valid token (no dot, not a JWT) and no credential.
    private const string NotAToken = "\u0001";

    /// <summary>The call's token or certificate credential, or null with neither.</summary>
    /// <remarks>
    /// Read from the HTTP/2 request's headers, not <see cref="ServerCallContext.RequestHeaders"/>: that property copies
    /// every request header into a new <see cref="Metadata"/> on first use (Grpc.AspNetCore's HttpContextServerCallContext),
    /// on every call. An entry sent as two header fields reads as its first, as etcd's AuthInfoFromCtx takes ts[0] of what
    /// grpc-go appends per field (a .NET client merges repeated values into one field "a, b", an invalid token on both,
    /// AuthMetadataSideBySideSpecs). The items
    /// are consulted only once something (<see cref="ClientCommonName.Middleware"/>) created them: reading
    /// <c>HttpContext.Items</c> creates the feature and its dictionary on each request otherwise.
    /// </remarks>
    public static string? Token(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var headers = http.Request.Headers;
        // etcd's AuthInfoFromCtx: md["token"], else md["authorization"]; an entry with an empty value is still a token,
        // and an invalid one.
        var token = headers.TryGetValue(TokenKey, out var values) || headers.TryGetValue(AuthorizationKey, out values)
            ? values.Count > 0 ? values[0] ?? "" : ""
            : null;
        if (token is not null) return token.Length == 0 || CertificateCredential.IsCredential(token) ? NotAToken : token;
        return http.Features.Get<IItemsFeature>() is { } items
               && items.Items.TryGetValue(ClientCommonName.ItemKey, out var name) && name is string commonName
            ? CertificateCredential.For(commonName)
            : null;
    }
}
