using Etcd.Specs.Support;
using YamlDotNet.RepresentationModel;

namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// docker-compose.yml read with YamlDotNet into its services and top-level networks and volumes. Only the
/// forms the cluster file uses are accepted (lists for command, ports, volumes and networks; a map or a list
/// for environment); anything else fails loudly instead of being read half.
/// </summary>
public sealed record ComposeFile(IReadOnlyList<ComposeService> Services, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes)
{
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "docker-compose.yml");

    public static ComposeFile Load() => Parse(File.ReadAllText(Path));

    public static ComposeFile Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        var services = Map(root, "services") ?? throw new FormatException("no services");
        return new ComposeFile(
            services.Children.Select(s => Service(Scalar(s.Key), (YamlMappingNode)s.Value)).ToArray(),
            Keys(Map(root, "networks")),
            Keys(Map(root, "volumes")));
    }

    private static ComposeService Service(string name, YamlMappingNode node) => new(
        name,
        Child(node, "build") is { } build ? Scalar(build) : null,
        Child(node, "image") is { } image ? Scalar(image) : null,
        Child(node, "hostname") is { } host ? Scalar(host) : null,
        List(node, "command"),
        Environment(node),
        List(node, "ports"),
        List(node, "volumes"),
        List(node, "networks"));

    private static IReadOnlyDictionary<string, string> Environment(YamlMappingNode service)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (Child(service, "environment"))
        {
            case null:
                break;
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children) env[Scalar(k)] = Scalar(v);
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children.Select(Scalar))
                {
                    var eq = item.IndexOf('=');
                    env[eq < 0 ? item : item[..eq]] = eq < 0 ? "" : item[(eq + 1)..];
                }
                break;
            default:
                throw new FormatException("environment must be a map or a list");
        }
        return env;
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static YamlMappingNode? Map(YamlMappingNode node, string key) => Child(node, key) switch
    {
        null => null,
        YamlMappingNode map => map,
        var other => throw new FormatException($"{key} must be a map, not {other.NodeType}"),
    };

    private static IReadOnlyList<string> List(YamlMappingNode node, string key) => Child(node, key) switch
    {
        null => [],
        YamlSequenceNode seq => seq.Children.Select(Scalar).ToArray(),
        var other => throw new FormatException($"{key} must be a list here, not {other.NodeType}"),
    };

    private static IReadOnlyList<string> Keys(YamlMappingNode? node) => node?.Children.Keys.Select(Scalar).ToArray() ?? [];

    private static string Scalar(YamlNode node) =>
        node is YamlScalarNode { Value: { } v } ? v : throw new FormatException($"expected a scalar at {node.Start}");
}
