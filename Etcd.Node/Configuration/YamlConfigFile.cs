using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Etcd.Node.Configuration;

/// <summary>
/// etcd's YAML config file (--config-file, etcd.conf.yml): top-level keys are flag names, URL lists are
/// comma-separated strings, and TLS lives under client-transport-security / peer-transport-security.
/// Differences from the command line that come from etcd's Go struct decoding: a bare number for a
/// duration is nanoseconds, and an empty value (<c>key:</c>) leaves the setting unset. Unknown keys are
/// refused rather than ignored so that a typo cannot silently drop a setting.
/// </summary>
public static class YamlConfigFile
{
    /// <summary>YAML TLS sub-keys → flag names, per section (etcd's securityConfig).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> TlsSections = new()
    {
        ["client-transport-security"] = new()
        {
            ["cert-file"] = "cert-file", ["key-file"] = "key-file", ["client-cert-auth"] = "client-cert-auth",
            ["trusted-ca-file"] = "trusted-ca-file", ["auto-tls"] = "auto-tls",
        },
        ["peer-transport-security"] = new()
        {
            ["cert-file"] = "peer-cert-file", ["key-file"] = "peer-key-file", ["client-cert-auth"] = "peer-client-cert-auth",
            ["trusted-ca-file"] = "peer-trusted-ca-file", ["auto-tls"] = "peer-auto-tls",
        },
    };

    public static IReadOnlyDictionary<string, object> Parse(string path, string text)
    {
        var values = new Dictionary<string, object>();
        var root = Load(path, text);
        if (root is null) return values;
        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = Scalar(path, keyNode);
            if (TlsSections.TryGetValue(key, out var section))
            {
                if (valueNode is YamlScalarNode s && IsNull(s)) continue;
                if (valueNode is not YamlMappingNode map) throw new FlagException($"config file {path}: \"{key}\" must be a mapping");
                foreach (var (subKey, subValue) in map.Children)
                {
                    var sub = Scalar(path, subKey);
                    var flag = section.GetValueOrDefault(sub) ?? throw new FlagException($"config file {path}: unknown key \"{key}.{sub}\"");
                    Set(values, path, FlagCatalog.Find(flag)!, subValue, $"{key}.{sub}");
                }
                continue;
            }
            var spec = FlagCatalog.Find(key) ?? throw new FlagException($"config file {path}: unknown key \"{key}\"");
            Set(values, path, spec, valueNode, key);
        }
        return values;
    }

    private static YamlMappingNode? Load(string path, string text)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0) return null;
            return stream.Documents[0].RootNode switch
            {
                YamlMappingNode map => map,
                YamlScalarNode s when IsNull(s) => null,
                _ => throw new FlagException($"config file {path}: expected a mapping of flag names to values"),
            };
        }
        catch (YamlException e)
        {
            throw new FlagException($"config file {path}: {e.Message.ReplaceLineEndings(" ")} at line {e.Start.Line}");
        }
    }

    private static void Set(Dictionary<string, object> values, string path, FlagSpec spec, YamlNode node, string key)
    {
        string text;
        switch (node)
        {
            case YamlScalarNode s when IsNull(s):
                return;
            case YamlScalarNode s:
                text = s.Value ?? "";
                break;
            case YamlSequenceNode seq when spec.Kind is FlagKind.Urls or FlagKind.List:
                // Lenient: etcd wants "a,b", a YAML list of the same strings means the same thing.
                text = string.Join(',', seq.Children.Select(c => Scalar(path, c)));
                break;
            default:
                throw new FlagException($"config file {path}: \"{key}\" must be a single value");
        }
        try
        {
            // Go decodes a time.Duration from a JSON number as nanoseconds.
            values[spec.Name] = spec.Kind == FlagKind.Duration && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ns)
                ? TimeSpan.FromTicks(ns / 100)
                : FlagValues.Parse(spec, text);
        }
        catch (FormatException e)
        {
            throw new FlagException($"config file {path}: invalid value \"{text}\" for \"{key}\": {e.Message}");
        }
    }

    private static string Scalar(string path, YamlNode node) =>
        node is YamlScalarNode { Value: { } v } ? v : throw new FlagException($"config file {path}: expected a plain value at line {node.Start.Line}");

    /// <summary>`key:`, `key: ~` and `key: null` are YAML nulls; a quoted '' is an empty string.</summary>
    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");
}
