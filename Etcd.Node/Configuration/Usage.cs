using System.Text;

namespace Etcd.Node.Configuration;

/// <summary>The text of --help and --version, in etcd's layout, with what Etcd.Actors does with each flag.</summary>
public static class Usage
{
    /// <summary>The etcd release whose API, flags and messages this node reproduces.</summary>
    public const string EtcdVersion = "3.4.23";

    public static string Help()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Usage:").AppendLine()
            .AppendLine("  etcd [flags]").AppendLine("    Start an etcd server (Etcd.Actors).").AppendLine()
            .AppendLine("  etcd --version").AppendLine("    Show the version of etcd.").AppendLine()
            .AppendLine("  etcd -h | --help").AppendLine("    Show the help information about etcd.").AppendLine()
            .AppendLine("  etcd --config-file")
            .AppendLine("    Path to the server configuration file: etcd's YAML, or HOCON when it ends in .conf.")
            .AppendLine("    Flags and ETCD_* environment variables override it.").AppendLine()
            .AppendLine("Flags (each also ETCD_<NAME>, e.g. ETCD_DATA_DIR; both --flag value and --flag=value):");
        foreach (var f in FlagCatalog.All)
        {
            sb.Append("  --").Append(f.Name).Append(" '").Append(f.ShownDefault ?? f.Default).AppendLine("'");
            var note = f.Support switch
            {
                FlagSupport.NoEffect => "No effect: " + f.Note + ".",
                FlagSupport.Refused => "Only the default is accepted: " + f.Note + ".",
                _ => null,
            };
            if (note is not null) sb.Append("    ").AppendLine(note);
        }
        return sb.ToString();
    }

    public static string Version() =>
        $"""
        etcd Version: {EtcdVersion}
        Git SHA: Not provided (Etcd.Actors {typeof(Usage).Assembly.GetName().Version})
        Go Version: not applicable (.NET {Environment.Version})
        Go OS/Arch: {OperatingSystem()}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}

        """;

    private static string OperatingSystem() =>
        System.OperatingSystem.IsLinux() ? "linux" : System.OperatingSystem.IsMacOS() ? "darwin" : System.OperatingSystem.IsWindows() ? "windows" : "unknown";
}
