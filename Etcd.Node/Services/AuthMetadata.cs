using Etcd.Actors.Server;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// Who a call says it is: gRPC metadata <c>token</c> (etcd's rpctypes.TokenFieldNameGRPC), or, without one and with
/// <c>--client-cert-auth</c>, its verified client certificate's common name (<see cref="ClientCommonName"/>), passed on as a
/// <see cref="CertificateCredential"/>. A token wins over a certificate, as in etcd's AuthInfoFromCtx.
/// </summary>
public static class AuthMetadata
{
    public const string TokenKey = "token";

    // What an empty token, or one that imitates a certificate credential, becomes: no valid token (no dot, not a JWT) and no credential.
    private const string NotAToken = "\u0001";

    /// <summary>The call's token or certificate credential, or null with neither.</summary>
    public static string? Token(ServerCallContext context)
    {
        var token = context.RequestHeaders.GetValue(TokenKey);
        // An empty value is still a token, and an invalid one: etcd's AuthInfoFromCtx takes md["token"][0] whatever it is.
        if (token is not null) return token.Length == 0 || CertificateCredential.IsCredential(token) ? NotAToken : token;
        return context.GetHttpContext().Items.TryGetValue(ClientCommonName.ItemKey, out var name) && name is string commonName
            ? CertificateCredential.For(commonName)
            : null;
    }
}
