using System.Net;
using System.Net.Sockets;
using Etcd.Node.AuthorityFix;
using Etcd.Node.Configuration;
using Etcd.Node.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Etcd.Node.Hosting;

/// <summary>
/// --listen-client-urls → Kestrel endpoints, each bound exactly as etcd (Go's net.Listen) binds it:
/// an IP literal binds that address; 0.0.0.0, [::] or an empty host bind every address (dual-stack);
/// localhost binds the loopback addresses (IPv4, and IPv6 when the host has it); another host name binds
/// its first address, IPv4 preferred. Every endpoint speaks HTTP/2 only: in cleartext on http:// URLs (h2c with
/// prior knowledge, which is how etcdctl and the other gRPC clients connect), over TLS on https:// URLs
/// (Etcd.Node/Tls, HTTP/2 chosen by ALPN). Kestrel cannot serve HTTP/1.1 and cleartext HTTP/2 on one port (that
/// needs TLS ALPN), so /health and /version are not served here yet.
/// </summary>
public static class ClientListeners
{
    public enum BindKind
    {
        Localhost,
        Any,
        Address,
    }

    /// <summary>Where one URL binds; <paramref name="Shown"/> is what etcd prints in "serving insecure client requests on …".</summary>
    public sealed record Endpoint(BindKind Kind, IPEndPoint Shown);

    public static Endpoint Resolve(string url)
    {
        // Not System.Uri: Go accepts an empty host ("http://:2379" = every address), Uri does not.
        // The URL was already checked by FlagValues.ParseUrls (scheme://host:port, no path).
        var hostPort = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var colon = hostPort.LastIndexOf(':');
        var host = hostPort[..colon].Trim('[', ']');
        var port = int.Parse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (host.Length == 0) return new Endpoint(BindKind.Any, new IPEndPoint(IPAddress.IPv6Any, port));
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return new Endpoint(BindKind.Localhost, new IPEndPoint(IPAddress.Loopback, port));
        if (IPAddress.TryParse(host, out var ip))
        {
            return ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)
                ? new Endpoint(BindKind.Any, new IPEndPoint(IPAddress.IPv6Any, port))
                : new Endpoint(BindKind.Address, new IPEndPoint(ip, port));
        }
        var addresses = Dns.GetHostAddresses(host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new IOException($"listen tcp {host}:{port}: no address for host {host}");
        return new Endpoint(BindKind.Address, new IPEndPoint(chosen, port));
    }

    /// <summary>Binds every URL; https ones get <paramref name="tls"/>, which the configuration made sure exists for them.</summary>
    public static void Bind(KestrelServerOptions kestrel, IEnumerable<string> urls, ClientTlsServer? tls)
    {
        foreach (var url in urls)
        {
            var endpoint = Resolve(url);
            var port = endpoint.Shown.Port;
            Action<ListenOptions> configure = listen => Configure(listen, ClientTlsOptions.IsHttps(url) ? tls ?? throw new InvalidOperationException($"no TLS for {url}") : null);
            switch (endpoint.Kind)
            {
                case BindKind.Localhost:
                    kestrel.ListenLocalhost(port, configure);
                    break;
                case BindKind.Any:
                    kestrel.ListenAnyIP(port, configure);
                    break;
                default:
                    kestrel.Listen(endpoint.Shown, configure);
                    break;
            }
        }
    }

    /// <summary>
    /// <c>ETCDACTORS_AUTHORITY_FIX=off</c> serves without the :authority rewriter (Etcd.Node/AuthorityFix): for
    /// measuring its cost, or once no etcdctl before 3.5 is in use. Not an ETCD_ variable: those are etcd's flags.
    /// </summary>
    public const string AuthorityFixVariable = "ETCDACTORS_AUTHORITY_FIX";

    private static void Configure(ListenOptions listen, ClientTlsServer? tls)
    {
        listen.Protocols = HttpProtocols.Http2;
        // TLS first, so that the middleware below sees the plaintext HTTP/2 frames.
        tls?.Apply(listen);
        // etcdctl 3.4's per-endpoint commands send ":authority: http://host:port", which Kestrel refuses.
        if (!string.Equals(Environment.GetEnvironmentVariable(AuthorityFixVariable), "off", StringComparison.OrdinalIgnoreCase))
            listen.Use(AuthorityFixingMiddleware.Wrap);
    }
}
