using System.Text;

namespace Etcd.Specs.Raft;

/// <summary>One command of a scenario file: its comments, the command line, and the output it must produce.</summary>
internal sealed record ScenarioBlock(int Line, IReadOnlyList<string> Comments, string Command, IReadOnlyDictionary<string, string> Args, string Expected)
{
    public string Text => Args.Count == 0 ? Command : Command + " " + string.Join(' ', Args.Select(a => $"{a.Key}={a.Value}"));

    public string? Arg(string key) => Args.TryGetValue(key, out var v) ? v : null;

    public ulong U64(string key, ulong fallback) => Arg(key) is { } v ? ulong.Parse(v) : fallback;

    public ulong RequiredU64(string key) =>
        Arg(key) is { } v ? ulong.Parse(v) : throw new FormatException($"line {Line}: '{Command}' needs {key}=");

    public bool Bool(string key) => Arg(key) is { } v && bool.Parse(v);
}

/// <summary>
/// A data-driven scenario file in the style of etcd-io/raft's testdata: blocks of
/// <c>command key=value ...</c>, a <c>----</c> line, then the expected output (possibly empty),
/// separated by blank lines. Lines starting with <c>#</c> before a command are comments.
/// </summary>
internal sealed class ScenarioFile
{
    private ScenarioFile(string path, IReadOnlyList<ScenarioBlock> blocks)
    {
        Path = path;
        Blocks = blocks;
    }

    public string Path { get; }
    public IReadOnlyList<ScenarioBlock> Blocks { get; }

    public static ScenarioFile Load(string path) => new(path, Parse(File.ReadAllText(path), path));

    public static IReadOnlyList<ScenarioBlock> Parse(string text, string name = "<scenario>")
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var blocks = new List<ScenarioBlock>();
        var i = 0;
        while (i < lines.Length)
        {
            var comments = new List<string>();
            while (i < lines.Length && (lines[i].Trim().Length == 0 || lines[i].TrimStart().StartsWith('#')))
            {
                if (lines[i].Trim().Length > 0) comments.Add(lines[i].Trim());
                i++;
            }
            if (i >= lines.Length) break;
            var cmdLine = i + 1;
            var (command, args) = ParseCommand(lines[i].Trim(), name, cmdLine);
            i++;
            if (i >= lines.Length || lines[i].Trim() != "----")
                throw new FormatException($"{name}:{cmdLine}: expected '----' after '{lines[cmdLine - 1].Trim()}'");
            i++;
            var output = new List<string>();
            while (i < lines.Length && lines[i].Trim().Length > 0) output.Add(lines[i++].TrimEnd());
            blocks.Add(new ScenarioBlock(cmdLine, comments, command, args, string.Join('\n', output)));
        }
        return blocks;
    }

    private static (string, IReadOnlyDictionary<string, string>) ParseCommand(string line, string name, int lineNo)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var args = new Dictionary<string, string>();
        foreach (var p in parts.Skip(1))
        {
            var eq = p.IndexOf('=');
            if (eq <= 0) throw new FormatException($"{name}:{lineNo}: argument '{p}' is not key=value");
            if (!args.TryAdd(p[..eq], p[(eq + 1)..])) throw new FormatException($"{name}:{lineNo}: duplicate argument '{p[..eq]}'");
        }
        return (parts[0], args);
    }

    /// <summary>The file text with every block's expected output replaced by <paramref name="actual"/> (golden update).</summary>
    public static string Render(IReadOnlyList<ScenarioBlock> blocks, IReadOnlyList<string> actual)
    {
        var sb = new StringBuilder();
        for (var b = 0; b < blocks.Count; b++)
        {
            if (b > 0) sb.Append('\n');
            foreach (var c in blocks[b].Comments) sb.Append(c).Append('\n');
            sb.Append(blocks[b].Text).Append('\n').Append("----\n");
            if (actual[b].Length > 0) sb.Append(actual[b]).Append('\n');
        }
        return sb.ToString();
    }
}
