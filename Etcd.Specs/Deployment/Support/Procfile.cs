using System.Text.RegularExpressions;
using Etcd.Specs.Support;

namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// Reads a Procfile as foreman and goreman do: "name: command" lines, anything else (comments, blanks) skipped.
/// Both hand the command to a shell; the specs run it without one, so a command is accepted only while it is
/// plain words, for which splitting on white space is exactly what the shell would do.
/// </summary>
public static partial class Procfile
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "Procfile");

    public static IReadOnlyList<ProcfileEntry> Load() => Parse(File.ReadAllText(Path));

    public static IReadOnlyList<ProcfileEntry> Parse(string text)
    {
        var entries = new List<ProcfileEntry>();
        foreach (var line in text.Split('\n'))
        {
            var m = EntryLine().Match(line.TrimEnd('\r'));
            if (!m.Success) continue;
            var command = m.Groups[2].Value.Trim();
            if (ShellSyntax().IsMatch(command))
                throw new InvalidOperationException($"Procfile line {m.Groups[1].Value} uses shell syntax the specs cannot reproduce: {command}");
            entries.Add(new ProcfileEntry(m.Groups[1].Value, command.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        }
        return entries;
    }

    [GeneratedRegex(@"^([A-Za-z0-9_-]+):\s*(.+)$")]
    private static partial Regex EntryLine();

    [GeneratedRegex("""['"`$;&|<>()\\*?~#]""")]
    private static partial Regex ShellSyntax();
}
