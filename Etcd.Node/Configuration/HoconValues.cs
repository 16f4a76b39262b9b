using System.Globalization;
using System.Text;
using Akka.Configuration;

namespace Etcd.Node.Configuration;

/// <summary>
/// Writes typed flag values as an <c>etcd { ... }</c> HOCON block, and reads them back typed from the
/// merged Config. Durations travel as milliseconds ("7200000ms"), lists as HOCON arrays.
/// </summary>
public static class HoconValues
{
    public static Config ToConfig(IReadOnlyDictionary<string, object> values)
    {
        if (values.Count == 0) return Config.Empty;
        var sb = new StringBuilder("etcd {\n");
        foreach (var (name, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            sb.Append("  ").Append(Quote(name)).Append(" = ").Append(Write(value)).Append('\n');
        sb.Append("}\n");
        return ConfigurationFactory.ParseString(sb.ToString());
    }

    /// <summary>The value at etcd.&lt;name&gt;, or the flag's default when no layer sets it.</summary>
    public static object Read(Config config, FlagSpec spec)
    {
        if (!config.HasPath(spec.HoconPath)) return spec.DefaultValue;
        var path = spec.HoconPath;
        return spec.Kind switch
        {
            FlagKind.Bool => config.GetBoolean(path),
            FlagKind.UInt or FlagKind.Int => config.GetLong(path),
            FlagKind.Duration => config.GetTimeSpan(path, null, allowInfinite: false),
            FlagKind.Urls or FlagKind.List => config.GetStringList(path).ToArray(),
            _ => config.GetString(path) ?? "",
        };
    }

    private static string Write(object value) => value switch
    {
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        TimeSpan t => Quote(((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms"),
        string[] list => "[" + string.Join(", ", list.Select(Quote)) + "]",
        string s => Quote(s),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.GetType().Name),
    };

    /// <summary>A HOCON quoted string (JSON rules): backslash, quote and control characters escaped.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }
}
