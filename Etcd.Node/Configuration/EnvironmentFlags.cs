namespace Etcd.Node.Configuration;

/// <summary>
/// etcd's ETCD_&lt;FLAG&gt; environment variables (pkg/flags.SetFlagsFromEnv): every flag can be set as
/// ETCD_ + its name upper-cased with '-' → '_'. A flag given on the command line wins; etcd warns about
/// that and about ETCD_* variables that match no flag, and so do we.
/// </summary>
public sealed record EnvironmentFlags(IReadOnlyDictionary<string, object> Values, string? ConfigFile, IReadOnlyList<string> Warnings)
{
    /// <summary>Read by etcd's build tooling, not a flag; etcd does not warn about it either.</summary>
    private static readonly HashSet<string> Ignored = ["ETCD_UNSUPPORTED_ARCH"];

    public static EnvironmentFlags Read(IReadOnlyDictionary<string, string> environment, CommandLine commandLine)
    {
        var values = new Dictionary<string, object>();
        var warnings = new List<string>();
        var known = FlagCatalog.All.ToDictionary(f => f.EnvName);
        string? configFile = null;
        foreach (var (key, text) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith("ETCD_", StringComparison.Ordinal) || Ignored.Contains(key)) continue;
            if (key == "ETCD_CONFIG_FILE")
            {
                configFile = text;
                continue;
            }
            if (!known.TryGetValue(key, out var spec))
            {
                warnings.Add($"pkg/flags: unrecognized environment variable {key}={text}");
                continue;
            }
            if (commandLine.Values.ContainsKey(spec.Name))
            {
                warnings.Add($"pkg/flags: recognized environment variable {key}, but unused: shadowed by corresponding flag");
                continue;
            }
            try
            {
                values[spec.Name] = FlagValues.Parse(spec, text);
            }
            catch (FormatException e)
            {
                throw new FlagException($"invalid value \"{text}\" for {key}: {e.Message}");
            }
        }
        return new EnvironmentFlags(values, configFile, warnings);
    }
}
