using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace Etcd.Node.Services;

/// <summary>
/// With <c>--client-cert-auth</c>, the common name of the client certificate a TLS connection presented (Kestrel asked for
/// it and verified it against the trusted CA in the handshake, ClientCertificateVerifier) is kept on each request, where
/// <see cref="AuthMetadata"/> finds it for a request without a token: etcd 3.4's AuthInfoFromTLS, which takes the
/// verified chain's leaf <c>Subject.CommonName</c>. Without the flag, as in etcd, certificates name nobody.
/// </summary>
public static class ClientCommonName
{
    internal const string ItemKey = "etcd.client-common-name";

    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        if (context.Connection.ClientCertificate is { } certificate && Of(certificate) is { } name) context.Items[ItemKey] = name;
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Go's pkix.Name.CommonName: the subject's CN attribute (the last one, if several); null without one.</summary>
    public static string? Of(X509Certificate2 certificate)
    {
        string? name = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == "2.5.4.3") name = rdn.GetSingleElementValue();
        }
        return name;
    }
}
