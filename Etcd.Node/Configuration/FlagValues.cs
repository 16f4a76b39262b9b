using System.Globalization;
using Etcd.Actors.Configuration;

namespace Etcd.Node.Configuration;

/// <summary>
/// Turns a flag's text into its typed value, failing with the reason Go's flag package (or etcd's URL
/// type) gives. Typed values: string, bool, long, TimeSpan, string[] (URLs and lists).
/// </summary>
public static class FlagValues
{
    /// <summary>Parses <paramref name="text"/> for <paramref name="spec"/>; throws FormatException with etcd's reason.</summary>
    public static object Parse(FlagSpec spec, string text) => spec.Kind switch
    {
        FlagKind.String when spec.Allowed is { } allowed && !allowed.Contains(text) =>
            throw new FormatException("valid values are " + string.Join(", ", allowed)),
        FlagKind.String => text,
        FlagKind.Bool => ParseBool(text) ?? throw new FormatException("parse error"),
        FlagKind.UInt => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u)
            ? u <= (ulong)spec.Max ? (long)u : throw new FormatException("value out of range")
            : throw new FormatException("parse error"),
        FlagKind.Int => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
            ? i <= spec.Max ? i : throw new FormatException("value out of range")
            : throw new FormatException("parse error"),
        FlagKind.Duration => GoDurations.TryParse(text, out var d, out _) ? d : throw new FormatException("parse error"),
        FlagKind.Urls => ParseUrls(text, allowEmpty: spec.Default.Length == 0),
        FlagKind.List => text.Length == 0 ? Array.Empty<string>() : text.Split(',').Select(x => x.Trim()).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };

    /// <summary>Go's strconv.ParseBool.</summary>
    public static bool? ParseBool(string text) => text switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    /// <summary>
    /// etcd's types.NewURLs: comma-separated, each with scheme http/https/unix/unixs, host:port and no path;
    /// the result is sorted as etcd sorts it.
    /// </summary>
    public static string[] ParseUrls(string text, bool allowEmpty)
    {
        if (text.Length == 0 && allowEmpty) return [];
        var urls = text.Split(',').Select(x => x.Trim()).ToArray();
        foreach (var url in urls) CheckUrl(url);
        return urls.Order(StringComparer.Ordinal).ToArray();
    }

    private static void CheckUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : url[..schemeEnd];
        if (scheme is not ("http" or "https" or "unix" or "unixs"))
            throw new FormatException($"URL scheme must be http, https, unix, or unixs: {url}");
        var rest = url[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/');
        // etcd refuses any path, even a lone trailing "/".
        if (slash >= 0 || rest.Contains('?') || rest.Contains('#'))
            throw new FormatException($"URL must not contain a path: {url}");
        if (!HasHostAndPort(rest))
            throw new FormatException($"URL address does not have the form \"host:port\": {url}");
    }

    private static bool HasHostAndPort(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0) return false;
        if (hostPort.StartsWith('[') && hostPort.IndexOf(']') != colon - 1) return false;
        var port = hostPort[(colon + 1)..];
        return port.Length > 0 && port.All(char.IsAsciiDigit) && int.TryParse(port, out var p) && p <= 65535;
    }
}
