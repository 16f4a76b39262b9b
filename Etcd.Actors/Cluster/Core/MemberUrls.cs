using System.Globalization;

namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// Peer and client URLs as etcd's types.NewURLs accepts them, narrowed to what maps onto an Akka.Remote
/// endpoint: <c>http(s)://host:port</c> with nothing after the port (etcd also refuses a path), a host, and a
/// port in 1–65535. Surrounding spaces are trimmed and the scheme is case-insensitive, as Go's url.Parse has it.
/// </summary>
public static class MemberUrls
{
    /// <summary>True when <paramref name="url"/> is a usable member URL.</summary>
    public static bool IsValid(string? url) => url is not null && TryNormalize(url, out _);

    /// <summary>
    /// The URLs in etcd's canonical form — trimmed, scheme lower-cased, sorted ordinally (types.NewURLs sorts) —
    /// or null when the list is empty or any URL is invalid.
    /// </summary>
    public static IReadOnlyList<string>? Normalize(IEnumerable<string>? urls)
    {
        if (urls is null) return null;
        var list = new List<string>();
        foreach (var u in urls)
        {
            if (u is null || !TryNormalize(u, out var n)) return null;
            list.Add(n);
        }
        if (list.Count == 0) return null;
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private static bool TryNormalize(string url, out string normalized)
    {
        normalized = "";
        var s = url.Trim();
        var sep = s.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return false;
        var scheme = s[..sep].ToLowerInvariant();
        if (scheme is not ("http" or "https")) return false;
        var authority = s[(sep + 3)..];
        if (authority.Length == 0 || authority.IndexOfAny(['/', '?', '#', '@', ' ', '\t']) >= 0) return false;

        string host, port;
        if (authority[0] == '[')
        {
            // IPv6 literal: [addr]:port
            var close = authority.IndexOf(']');
            if (close < 2 || close + 1 >= authority.Length || authority[close + 1] != ':') return false;
            host = authority[1..close];
            port = authority[(close + 2)..];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            if (colon <= 0) return false;
            host = authority[..colon];
            port = authority[(colon + 1)..];
            if (host.Contains(':')) return false; // an IPv6 address must be bracketed
        }
        if (host.Length == 0 || port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit)) return false;
        var p = int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture);
        if (p is < 1 or > 65535) return false;
        normalized = scheme + s[sep..];
        return true;
    }
}
