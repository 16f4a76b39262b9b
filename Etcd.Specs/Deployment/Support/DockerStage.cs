using System.Text.Json;

namespace Etcd.Specs.Deployment.Support;

/// <summary>A build stage: its FROM image, its AS name, and the instructions up to the next FROM.</summary>
public sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IReadOnlyList<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => i.Keyword.Equals(keyword, StringComparison.OrdinalIgnoreCase)).ToArray();

    /// <summary>The last instruction of a kind: for ENTRYPOINT and CMD the one that takes effect.</summary>
    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();

    /// <summary>ENV key=value pairs in order (a later one wins); values may be empty or double-quoted.</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in All("ENV"))
        {
            foreach (var pair in i.Arguments.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw new FormatException($"ENV {i.Arguments}: only the key=value form is read here");
                env[pair[..eq]] = pair[(eq + 1)..].Trim('"');
            }
        }
        return env;
    }

    /// <summary>The exec (JSON array) form of ENTRYPOINT or CMD; the shell form is refused, it would run under /bin/sh.</summary>
    public static IReadOnlyList<string> ExecForm(DockerInstruction instruction)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(instruction.Arguments)
                ?? throw new FormatException($"{instruction.Keyword} is null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{instruction.Keyword} {instruction.Arguments} is not the exec form: {e.Message}");
        }
    }
}
