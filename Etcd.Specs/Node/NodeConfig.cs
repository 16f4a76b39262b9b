using Xunit;
using Etcd.Node.Configuration;

namespace Etcd.Specs.Node;

/// <summary>Runs the pure configuration pipeline with an environment and in-memory config files.</summary>
internal static class NodeConfig
{
    public static StartupCommand Load(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null) =>
        NodeConfiguration.Load(args, env ?? [], path => files is not null && files.TryGetValue(path, out var text)
            ? text
            : throw new FileNotFoundException($"open {path}: no such file or directory"));

    public static RunNode Run(params string[] args) => Assert.IsType<RunNode>(Load(args));

    public static RunNode Run(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null) =>
        Assert.IsType<RunNode>(Load(args, env, files));

    public static string Fails(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null) =>
        Assert.Throws<FlagException>(() => Load(args, env, files)).Message;
}
