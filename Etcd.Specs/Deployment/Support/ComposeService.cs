namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// One service of a compose file, the fields the cluster uses, in compose's long-hand: the command as the
/// argument list given to the image's ENTRYPOINT, ports and volumes as written ("host:container").
/// </summary>
public sealed record ComposeService(
    string Name,
    string? Build,
    string? Image,
    string? Hostname,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> Ports,
    IReadOnlyList<string> Volumes,
    IReadOnlyList<string> Networks);
