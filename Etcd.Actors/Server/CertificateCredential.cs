namespace Etcd.Actors.Server;

/// <summary>
/// A caller known by the common name of its verified client certificate (etcd 3.4's AuthInfoFromTLS, used with
/// <c>--client-cert-auth</c> when the request carries no token), handed to the facade where a token goes. It starts with
/// a control character that gRPC's ASCII metadata cannot carry, and the edge refuses a received token that looks like one
/// (<see cref="IsCredential"/>), so no client can pose as a certificate by sending it.
/// </summary>
public static class CertificateCredential
{
    private const string Marker = "\u0001cn:";

    /// <summary>What the edge passes for a request with no token whose TLS client certificate names <paramref name="commonName"/>.</summary>
    public static string For(string commonName) => Marker + commonName;

    public static bool IsCredential(string? value) => value is not null && value.StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>The certificate's common name, if <paramref name="value"/> is such a credential.</summary>
    public static bool TryGetUser(string value, out string user)
    {
        user = IsCredential(value) ? value[Marker.Length..] : "";
        return IsCredential(value);
    }
}
