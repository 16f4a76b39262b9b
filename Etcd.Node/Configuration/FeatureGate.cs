using System.Globalization;

namespace Etcd.Node.Configuration;

/// <summary>
/// Stops the node with a one-line reason when a setting asks for a feature that is not built yet, so it is
/// never silently ignored (reference/etcd-v3-api.md §2.11). Runs on the merged values, so a config file or
/// environment variable is refused the same way as a flag.
/// </summary>
public static class FeatureGate
{
    /// <summary>Why <paramref name="value"/> cannot be served, or null when it can.</summary>
    public static string? Reason(FlagSpec spec, object value)
    {
        if (spec.Refuse is { } refuse) return refuse(value);
        return spec.Support == FlagSupport.Refused && !Same(value, spec.DefaultValue) ? spec.Note : null;
    }

    /// <summary>Throws for the first refused setting, in --help order.</summary>
    public static void Check(IReadOnlyDictionary<string, object> values)
    {
        foreach (var spec in FlagCatalog.All)
        {
            if (Reason(spec, values[spec.Name]) is { } reason)
                throw new FlagException($"--{spec.Name}={Show(values[spec.Name])} is not supported: {reason}");
        }
    }

    /// <summary>NoEffect flags set to something other than their default: worth a warning at start-up.</summary>
    public static IEnumerable<string> NoEffectWarnings(IReadOnlyDictionary<string, object> values) =>
        FlagCatalog.All
            .Where(s => s.Support == FlagSupport.NoEffect && !Same(values[s.Name], s.DefaultValue))
            .Select(s => $"etcdmain: --{s.Name}={Show(values[s.Name])} has no effect: {s.Note}");

    public static bool Same(object a, object b) =>
        a is string[] x && b is string[] y ? x.SequenceEqual(y) : a.Equals(b);

    /// <summary>A typed value written back the way a user would type it.</summary>
    public static string Show(object value) => value switch
    {
        bool b => b ? "true" : "false",
        string[] list => string.Join(',', list),
        TimeSpan t => ShowDuration(t),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string ShowDuration(TimeSpan t) =>
        t.Ticks % TimeSpan.TicksPerHour == 0 && t != TimeSpan.Zero ? $"{(long)t.TotalHours}h"
        : t.Ticks % TimeSpan.TicksPerMinute == 0 && t != TimeSpan.Zero ? $"{(long)t.TotalMinutes}m"
        : t.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{(long)t.TotalSeconds}s"
        : $"{(long)t.TotalMilliseconds}ms";
}
