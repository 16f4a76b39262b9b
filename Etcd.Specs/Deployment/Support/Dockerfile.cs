using Etcd.Specs.Support;

namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// Reads a Dockerfile into its stages, as the builder does: comment lines dropped, a trailing backslash joins
/// the next line, a FROM starts a stage. Enough to check what the file says; it builds nothing.
/// </summary>
public static class Dockerfile
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "Dockerfile");

    public static IReadOnlyList<DockerStage> Load() => Parse(File.ReadAllText(Path));

    public static IReadOnlyList<DockerStage> Parse(string text)
    {
        var stages = new List<DockerStage>();
        foreach (var instruction in Instructions(text))
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var name = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                if (words.Length != 1 && name is null) throw new FormatException($"FROM {instruction.Arguments}");
                stages.Add(new DockerStage(words[0], name, []));
            }
            else if (stages.Count == 0)
            {
                if (instruction.Keyword != "ARG") throw new FormatException($"{instruction.Keyword} before the first FROM");
            }
            else
            {
                var last = stages[^1];
                stages[^1] = last with { Instructions = [.. last.Instructions, instruction] };
            }
        }
        return stages;
    }

    private static IEnumerable<DockerInstruction> Instructions(string text)
    {
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0)) continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var full = (pending + line).Trim();
            pending = "";
            if (full.Length == 0) continue;
            var space = full.IndexOf(' ');
            yield return space < 0
                ? new DockerInstruction(full.ToUpperInvariant(), "")
                : new DockerInstruction(full[..space].ToUpperInvariant(), full[(space + 1)..].Trim());
        }
        if (pending.Length > 0) throw new FormatException("the Dockerfile ends inside a continued line");
    }
}
